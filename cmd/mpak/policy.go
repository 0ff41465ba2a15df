package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/mpak-oci/mpak/oci/config"
	"github.com/mpak-oci/mpak/oci/policy"
	"github.com/mpak-oci/mpak/oci/sign"
)

// policyFlags are run's and pull's trust requirements.
type policyFlags struct {
	requireSignature bool
	keys             []string
	minLevel         string
}

func (p *policyFlags) add(fl *pflag.FlagSet) {
	fl.BoolVar(&p.requireSignature, "require-signature", false, "refuse a version without a signature that verifies with --key (also policy.require_signature in the config file)")
	fl.StringArrayVar(&p.keys, "key", nil, "trusted cosign public key for --require-signature (repeatable; adds to policy.keys)")
	fl.StringVar(&p.minLevel, "min-level", "", "refuse a version whose newest scan report is below this level, L0-L4 (also policy.min_level)")
}

// policy merges the flags with the config file's policy: each
// requirement is the stricter of the two, and keys add up. Verdicts are
// remembered under the cache directory.
func (a *app) policy(p policyFlags, cacheDir string) (*policy.Policy, error) {
	cfg, err := config.Load()
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
		Remote:           a.remote,
		MemoDir:          filepath.Join(cacheDir, "trust"),
	}
	for _, path := range append(append([]string{}, cfg.Policy.Keys...), p.keys...) {
		pem, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("trusted key: %w", err)
		}
		v, err := sign.LoadPublicKey(pem)
		if err != nil {
			return nil, fmt.Errorf("trusted key %s: %w", path, err)
		}
		pol.Keys = append(pol.Keys, v)
	}
	return pol, nil
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
