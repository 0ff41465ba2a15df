package cli

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/mpak-oci/mpak/internal/config"
	"github.com/mpak-oci/mpak/policy"
)

// PolicyFlags are run's and pull's trust requirements.
type PolicyFlags struct {
	config.Policy
	minLevel string
}

func (p *PolicyFlags) Add(fl *pflag.FlagSet) {
	fl.BoolVar(&p.RequireSignature, "require-signature", false, "refuse a version without a signature that verifies with --key (also policy.require_signature in the config file)")
	fl.StringArrayVar(&p.Keys, "key", nil, "trusted cosign public key for --require-signature (repeatable; adds to policy.keys)")
	fl.StringVar(&p.minLevel, "min-level", "", "refuse a version below this level, L0-L4, as signed by a trusted scanner (also policy.min_level)")
	fl.StringArrayVar(&p.TrustedScanners, "scanner-key", nil, "trusted scanner public key for --min-level (repeatable; adds to policy.trusted_scanners and the registry's own)")
}

// Policy is the config file's policy made stricter by the flags, its
// verdicts remembered under the cache directory.
func (a *App) Policy(p PolicyFlags, cacheDir string) (*policy.Policy, error) {
	cfg, err := a.Config()
	if err != nil {
		return nil, err
	}
	if p.MinLevel, err = parseLevel(p.minLevel); err != nil {
		return nil, err
	}
	return cfg.Policy.Stricter(p.Policy).Load(a.Remote, filepath.Join(cacheDir, "trust"))
}

// parseLevel reads "L2" or "2".
func parseLevel(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(s), "L"))
	if err != nil || n < 0 || n > 4 {
		return 0, fmt.Errorf("--min-level %q: want a level from L0 to L4", s)
	}
	return n, nil
}
