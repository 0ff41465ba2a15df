// Package policy decides whether a bundle version may be pulled or run:
// it must carry a signature that verifies with a trusted key, and a scan
// report at or above a certification level, as the user (flags) or the
// config file requires. It answers before anything is downloaded or
// extracted, and remembers verdicts per digest, so a cached bundle starts
// without the network once it was checked online.
package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/oci/referrer"
	"github.com/mpak-oci/mpak/oci/remote"
	"github.com/mpak-oci/mpak/oci/sign"
)

// ErrRefused is matched when a version does not meet the policy.
var ErrRefused = errors.New("refused by policy")

// Policy is what a version must show.
type Policy struct {
	// RequireSignature wants a signature (cosign's or a sigstore bundle)
	// of the version's index that verifies with one of Keys.
	RequireSignature bool
	Keys             []signature.Verifier
	// MinLevel wants the newest attached scan report to say at least
	// this certification level (0: no requirement).
	MinLevel int
	// Remote reaches registries.
	Remote remote.Options
	// MemoDir keeps verdicts by digest; empty keeps none, and a cached
	// version is then checked online again.
	MemoDir string
}

// Active reports whether p requires anything.
func (p *Policy) Active() bool { return p != nil && (p.RequireSignature || p.MinLevel > 0) }

// memo is what was established about a digest online.
type memo struct {
	Keys      []string  `json:"keys"`  // key IDs with a valid signature
	Level     int       `json:"level"` // newest scan report's level
	CheckedAt time.Time `json:"checked_at"`
}

// Check decides about the version whose root (index or manifest) is root
// in r's repository. Offline, only a verdict remembered from an earlier
// online check can allow it.
func (p *Policy) Check(ctx context.Context, r ref.Reference, root digest.Digest, online bool) error {
	if !p.Active() {
		return nil
	}
	ids := make([]string, 0, len(p.Keys))
	for _, k := range p.Keys {
		id, err := sign.KeyID(k)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	if p.RequireSignature && len(ids) == 0 {
		return fmt.Errorf("%w: a signature is required but no trusted key is given: pass --key cosign.pub (or set policy.keys in the config file)", ErrRefused)
	}
	name := r.RepositoryRef() + "@" + root.String()
	if m, ok := p.recall(root); ok && p.satisfied(m, ids) == nil {
		return nil
	}
	if !online {
		return fmt.Errorf("%s: %w: it cannot be verified offline; run it once online", name, ErrRefused)
	}
	m, err := p.establish(ctx, r, root)
	if err != nil {
		return fmt.Errorf("%s: checking its signatures and scan reports: %w", name, err)
	}
	p.remember(root, m)
	if err := p.satisfied(m, ids); err != nil {
		return fmt.Errorf("%s: %w: %w", name, ErrRefused, err)
	}
	return nil
}

// satisfied says what m lacks, if anything.
func (p *Policy) satisfied(m memo, ids []string) error {
	if p.RequireSignature && !slices.ContainsFunc(ids, func(id string) bool { return slices.Contains(m.Keys, id) }) {
		return fmt.Errorf("no signature verifies with the trusted key(s) %v; sign it with mpak bundle sign --key, or run without --require-signature", ids)
	}
	if m.Level < p.MinLevel {
		return fmt.Errorf("its scan report says level L%d, below the required L%d; scan it (mpak bundle scan --attach) or lower --min-level", m.Level, p.MinLevel)
	}
	return nil
}

// establish verifies the version against every key and reads its level.
func (p *Policy) establish(ctx context.Context, r ref.Reference, root digest.Digest) (memo, error) {
	m := memo{Keys: []string{}, CheckedAt: time.Now().UTC()}
	repo, err := p.Remote.Repository(r)
	if err != nil {
		return m, err
	}
	desc, err := repo.Resolve(ctx, root.String())
	if err != nil {
		return m, err
	}
	if p.RequireSignature {
		reg, d, err := sign.Open(ctx, r, root.String(), p.Remote)
		if err != nil {
			return m, err
		}
		for _, k := range p.Keys {
			res, _, err := sign.Verify(ctx, reg, d, desc, k)
			if err != nil && !errors.Is(err, sign.ErrNotVerified) {
				return m, err
			}
			for _, x := range res {
				if x.Kind == "signature" && !slices.Contains(m.Keys, x.KeyID) {
					m.Keys = append(m.Keys, x.KeyID)
				}
			}
		}
	}
	if p.MinLevel > 0 {
		if m.Level, err = Level(ctx, repo, desc); err != nil {
			return m, err
		}
	}
	return m, nil
}

// Level is the certification level the newest scan report attached to
// root states (0 without one).
func Level(ctx context.Context, repo referrer.Target, root ocispec.Descriptor) (int, error) {
	reports, err := referrer.List(ctx, repo, root, mediatypes.Scan)
	if err != nil {
		return 0, err
	}
	level, newest := 0, ""
	for _, r := range reports {
		l, err := strconv.Atoi(r.Annotations[mediatypes.AnnotationScanLevel])
		if err != nil || l < 0 || l > 4 {
			continue
		}
		if created := r.Annotations[ocispec.AnnotationCreated]; newest == "" || created > newest {
			level, newest = l, created
		}
	}
	return level, nil
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
