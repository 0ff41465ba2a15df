package config

import (
	"fmt"
	"os"

	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/verify"
	"github.com/mpak-oci/mpak/policy"
)

// Stricter is p made stricter by q (a command's flags): each requirement
// the stricter of the two, keys added up.
func (p Policy) Stricter(q Policy) Policy {
	return Policy{
		RequireSignature: p.RequireSignature || q.RequireSignature,
		Keys:             append(append([]string{}, p.Keys...), q.Keys...),
		MinLevel:         max(p.MinLevel, q.MinLevel),
		TrustedScanners:  append(append([]string{}, p.TrustedScanners...), q.TrustedScanners...),
		RegistryScanner:  p.RegistryScanner,
	}
}

// Load reads p's key files into the policy the library checks. Its
// verdicts are remembered per digest under trustDir, so that a cached
// run stays offline.
func (p Policy) Load(remote connect.Options, trustDir string) (*policy.Policy, error) {
	pol := &policy.Policy{
		RequireSignature: p.RequireSignature,
		MinLevel:         p.MinLevel,
		RegistryScanner:  p.RegistryScanner == nil || *p.RegistryScanner,
		Remote:           remote,
		MemoDir:          trustDir,
	}
	var err error
	if pol.Keys, err = loadPublicKeys("trusted key", p.Keys); err != nil {
		return nil, err
	}
	if pol.ScannerKeys, err = loadPublicKeys("trusted scanner key", p.TrustedScanners); err != nil {
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
