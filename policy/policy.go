// Package policy decides whether a bundle version may be pulled or run:
// it must carry a signature that verifies with a trusted key, and a scan
// report at or above a certification level, as the user (flags) or the
// config file requires. It answers before anything is downloaded or
// extracted, and remembers verdicts per digest, so a cached bundle starts
// without the network once it was checked online.
//
// It verifies with package verify (the standard library's crypto), not
// cosign's libraries: a policy is checked on the start path of mpak run.
package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/oci/verify"
	"github.com/mpak-oci/mpak/scanlevel"
)

// ErrRefused is matched when a version does not meet the policy.
var ErrRefused = errors.New("refused by policy")

// Policy is what a version must show.
type Policy struct {
	// RequireSignature wants a signature (cosign's or a sigstore bundle)
	// of the version's index that verifies with one of Keys.
	RequireSignature bool
	Keys             []verify.Key
	// MinLevel wants a certification level of at least this (0: no
	// requirement), from a scan verdict signed by one of ScannerKeys (or
	// the registry's own scanner key, with RegistryScanner) or from a
	// scan run here (RememberScan). Unsigned scan reports never count.
	MinLevel    int
	ScannerKeys []verify.Key
	// RegistryScanner also trusts the scanner key the registry publishes
	// at ScannerKeyPath (mpakd signs the reports it makes with it): the
	// registry already decides which digest a tag names, so trusting its
	// scanner adds no one new to trust.
	RegistryScanner bool
	// Remote reaches registries.
	Remote connect.Options
	// MemoDir keeps verdicts by digest; empty keeps none, and a cached
	// version is then checked online again.
	MemoDir string
}

// ScannerKeyPath is where a registry publishes the public key it signs
// scan verdicts with (PEM), as mpakd does.
const ScannerKeyPath = "/.well-known/mpak/scanner.pub"

// Active reports whether p requires anything.
func (p *Policy) Active() bool { return p != nil && (p.RequireSignature || p.MinLevel > 0) }

// memoVersion is raised when what a memo means changes: memos written
// before scan verdicts had to be signed are not trusted.
const memoVersion = 2

// memo is what was established about a digest.
type memo struct {
	V     int                 `json:"v"`
	Keys  []string            `json:"keys"` // key IDs with a valid signature
	Scans []scanlevel.Finding `json:"scans,omitempty"`
	// RegistryKey is the ID of the key the registry published when the
	// scans were read, "" when it published none.
	RegistryKey string `json:"registry_key,omitempty"`
	// Claimed is the highest level an unverified report states (-1 none).
	Claimed int `json:"claimed"`
	// Local is the level a scan run on this machine reached, if any.
	Local     *int      `json:"local_level,omitempty"`
	CheckedAt time.Time `json:"checked_at"`
}

// Check decides about the version whose root (index or manifest) is root
// in r's repository. Offline, only a verdict remembered from an earlier
// online check can allow it.
func (p *Policy) Check(ctx context.Context, r ref.Reference, root digest.Digest, online bool) error {
	if !p.Active() {
		return nil
	}
	ids, scanners := keyIDs(p.Keys), keyIDs(p.ScannerKeys)
	if p.RequireSignature && len(ids) == 0 {
		return fmt.Errorf("%w: a signature is required but no trusted key is given: pass --key cosign.pub (or set policy.keys in the config file)", ErrRefused)
	}
	name := r.RepositoryRef() + "@" + root.String()
	prev, recalled := p.recall(root)
	if recalled && p.satisfied(prev, ids, scanners) == nil {
		return nil
	}
	if !online {
		return fmt.Errorf("%s: %w: it cannot be verified offline; run it once online", name, ErrRefused)
	}
	m, err := p.establish(ctx, r, root)
	if err != nil {
		return fmt.Errorf("%s: checking its signatures and scan reports: %w", name, err)
	}
	if recalled {
		m.Local = prev.Local
	}
	p.remember(root, m)
	if err := p.satisfied(m, ids, scanners); err != nil {
		return fmt.Errorf("%s: %w: %w", name, ErrRefused, err)
	}
	return nil
}

func keyIDs(keys []verify.Key) []string {
	ids := make([]string, 0, len(keys))
	for _, k := range keys {
		ids = append(ids, k.ID)
	}
	return ids
}

// level is the trusted level m shows for these scanner key IDs.
func (p *Policy) level(m memo, scanners []string) int {
	var trusted []scanlevel.Finding
	for _, f := range m.Scans {
		if slices.Contains(scanners, f.KeyID) || p.RegistryScanner && m.RegistryKey != "" && f.KeyID == m.RegistryKey {
			trusted = append(trusted, f)
		}
	}
	level := 0
	if best := scanlevel.Best(trusted); best != nil {
		level = best.Predicate.Level
	}
	if m.Local != nil {
		level = max(level, *m.Local)
	}
	return level
}

// satisfied says what m lacks, if anything.
func (p *Policy) satisfied(m memo, ids, scanners []string) error {
	if m.V != memoVersion {
		return errors.New("not checked by this version of mpak")
	}
	if p.RequireSignature && !slices.ContainsFunc(ids, func(id string) bool { return slices.Contains(m.Keys, id) }) {
		return fmt.Errorf("no signature verifies with the trusted key(s) %v; sign it with mpak bundle sign --key, or run without --require-signature", ids)
	}
	if level := p.level(m, scanners); level < p.MinLevel {
		if m.Claimed > level {
			return fmt.Errorf("its trusted level is L%d, below the required L%d; a scan report claims L%d but no scanner key you trust signed it "+
				"(trust its scanner with --scanner-key or policy.trusted_scanners, or scan it yourself: mpak bundle scan)", level, p.MinLevel, m.Claimed)
		}
		return fmt.Errorf("its trusted level is L%d, below the required L%d; scan it (mpak bundle scan, or mpak bundle scan --attach --sign-key) or lower --min-level",
			level, p.MinLevel)
	}
	return nil
}

// establish verifies the version against every key and reads its level.
func (p *Policy) establish(ctx context.Context, r ref.Reference, root digest.Digest) (memo, error) {
	m := memo{V: memoVersion, Keys: []string{}, Claimed: -1, CheckedAt: time.Now().UTC()}
	repo, err := p.Remote.Repository(r)
	if err != nil {
		return m, err
	}
	desc, err := repo.Resolve(ctx, root.String())
	if err != nil {
		return m, err
	}
	if p.RequireSignature {
		sigs, _, err := verify.Signatures(ctx, repo, desc, p.Keys, verify.Options{})
		if err != nil && !errors.Is(err, verify.ErrNotVerified) {
			return m, err
		}
		for _, s := range sigs {
			if !slices.Contains(m.Keys, s.KeyID) {
				m.Keys = append(m.Keys, s.KeyID)
			}
		}
	}
	if p.MinLevel > 0 {
		keys := p.ScannerKeys
		if p.RegistryScanner {
			k, err := RegistryScannerKey(ctx, r.Registry, p.Remote)
			if err != nil {
				return m, err
			}
			if k != nil {
				keys = append(slices.Clip(keys), *k)
				m.RegistryKey = k.ID
			}
		}
		v, err := scanlevel.Decide(ctx, repo, desc, keys)
		if err != nil {
			return m, err
		}
		m.Scans, m.Claimed = v.Findings, v.Claimed
	}
	return m, nil
}

// RememberScan records the level a scan run on this machine reached for
// the version root: it satisfies --min-level like a trusted verdict.
func (p *Policy) RememberScan(root digest.Digest, level int) {
	m, ok := p.recall(root)
	if !ok || m.V != memoVersion {
		m = memo{V: memoVersion, Keys: []string{}, Claimed: -1, CheckedAt: time.Now().UTC()}
	}
	m.Local = &level
	p.remember(root, m)
}

func (p *Policy) memoPath(d digest.Digest) string {
	return filepath.Join(p.MemoDir, d.Algorithm().String()+"-"+d.Encoded()+".json")
}

func (p *Policy) recall(d digest.Digest) (memo, bool) {
	var m memo
	if p.MemoDir == "" {
		return m, false
	}
	b, err := os.ReadFile(p.memoPath(d))
	if err != nil || json.Unmarshal(b, &m) != nil {
		return m, false
	}
	return m, true
}

// remember keeps a verdict; failing to is not an error, only a future
// network round trip.
func (p *Policy) remember(d digest.Digest, m memo) {
	if p.MemoDir == "" || os.MkdirAll(p.MemoDir, 0o700) != nil {
		return
	}
	b, _ := json.Marshal(m)
	tmp := p.memoPath(d) + ".tmp"
	if os.WriteFile(tmp, b, 0o600) == nil {
		os.Rename(tmp, p.memoPath(d))
	}
}
