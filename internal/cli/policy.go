package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/mpak-oci/mpak/oci/verify"
	"github.com/mpak-oci/mpak/policy"
)

// PolicyFlags are run's and pull's trust requirements.
type PolicyFlags struct {
	requireSignature bool
	keys             []string
	minLevel         string
	scannerKeys      []string
}

func (p *PolicyFlags) Add(fl *pflag.FlagSet) {
	fl.BoolVar(&p.requireSignature, "require-signature", false, "refuse a version without a signature that verifies with --key (also policy.require_signature in the config file)")
	fl.StringArrayVar(&p.keys, "key", nil, "trusted cosign public key for --require-signature (repeatable; adds to policy.keys)")
	fl.StringVar(&p.minLevel, "min-level", "", "refuse a version below this level, L0-L4, as signed by a trusted scanner (also policy.min_level)")
	fl.StringArrayVar(&p.scannerKeys, "scanner-key", nil, "trusted scanner public key for --min-level (repeatable; adds to policy.trusted_scanners and the registry's own)")
}

// policy merges the flags with the config file's policy: each
// requirement is the stricter of the two, and keys add up. Verdicts are
// remembered under the cache directory.
func (a *App) Policy(p PolicyFlags, cacheDir string) (*policy.Policy, error) {
	cfg, err := a.Config()
	if err != nil {
		return nil, err
	}
	min, err := parseLevel(p.minLevel)
	if err != nil {
		return nil, err
	}
	pol := &policy.Policy{
		RequireSignature: p.requireSignature || cfg.Policy.RequireSignature,
		MinLevel:         max(min, cfg.Policy.MinLevel),
		RegistryScanner:  cfg.Policy.RegistryScanner == nil || *cfg.Policy.RegistryScanner,
		Remote:           a.Remote,
		MemoDir:          filepath.Join(cacheDir, "trust"),
	}
	if pol.Keys, err = loadPublicKeys("trusted key", append(append([]string{}, cfg.Policy.Keys...), p.keys...)); err != nil {
		return nil, err
	}
	if pol.ScannerKeys, err = loadPublicKeys("trusted scanner key", append(append([]string{}, cfg.Policy.TrustedScanners...), p.scannerKeys...)); err != nil {
		return nil, err
	}
	return pol, nil
}

// loadPublicKeys reads PEM public keys; what names them in errors.
func loadPublicKeys(what string, paths []string) ([]verify.Key, error) {
	var out []verify.Key
	for _, path := range paths {
		pem, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		v, err := verify.ParseKey(pem)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", what, path, err)
		}
		out = append(out, v)
	}
	return out, nil
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
