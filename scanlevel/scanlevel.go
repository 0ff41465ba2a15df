// Package scanlevel decides the certification level of a bundle version
// from what scanners attached to it, so that nobody can forge one.
//
// A scan report referrer (application/vnd.mpak.scan.v1+json) is evidence,
// control by control, but anyone who may push can attach one saying L4. A
// level therefore counts only from a signed statement: an in-toto
// statement of predicate type mediatypes.ScanPredicate about the version's
// root digest, in a sigstore bundle (referrer artifactType
// mediatypes.ScanVerdict), whose signature verifies with
// a scanner key the reader trusts. Reports without such a statement are
// "unverified": shown as claims, never satisfying a policy.
//
// Signing a verdict is package scan's (AttachVerdict): deciding needs no
// signing stack, so this package stays light enough for the start path of
// mpak run.
//
// Of several trusted statements the one made with the newest rule set
// wins (a newer scanner knows more), then the newest; a far-future date on
// an old rule set cannot push a newer verdict aside.
package scanlevel

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/referrer"
	"github.com/mpak-oci/mpak/oci/verify"
)

// Predicate is what a scanner signs about a version.
type Predicate struct {
	// Level is the certification level reached, 0-4.
	Level int `json:"level"`
	// Rules is the revision of the scanner's rule set.
	Rules   int       `json:"rules"`
	Scanner string    `json:"scanner"`
	Created time.Time `json:"created"`
	// Report is the digest of the scan report referrer (its manifest)
	// this verdict summarises, when one was attached with it.
	Report string `json:"report,omitempty"`
}

// Finding is a verified predicate and the key that signed it.
type Finding struct {
	KeyID     string    `json:"key_id"`
	Predicate Predicate `json:"predicate"`
}

// Verdict is what the referrers of a version say about its level.
type Verdict struct {
	// Level is the winning trusted finding's level, 0 without one.
	Level int
	// Trusted is the winner, nil when no statement verified.
	Trusted *Finding
	// Findings are all verified statements.
	Findings []Finding
	// Claimed is the highest level an unverified scan report states, -1
	// when there is none.
	Claimed int
	// Report is the scan report referrer to show: the one the winner
	// names, else the newest unverified one (zero when none).
	Report ocispec.Descriptor
}

// Verified reports whether a trusted statement decided the level.
func (v Verdict) Verified() bool { return v.Trusted != nil }

// Better reports whether a wins over b: newer rule set, then newer.
func Better(a, b Predicate) bool {
	if a.Rules != b.Rules {
		return a.Rules > b.Rules
	}
	return a.Created.After(b.Created)
}

// Best is the winning finding, nil for none.
func Best(fs []Finding) *Finding {
	var best *Finding
	for i := range fs {
		if best == nil || Better(fs[i].Predicate, best.Predicate) {
			best = &fs[i]
		}
	}
	return best
}

// Decide reads the referrers of root in repo: scan statements that verify
// with one of keys, and unsigned scan reports as claims.
func Decide(ctx context.Context, repo verify.Source, root ocispec.Descriptor, keys []verify.Key) (Verdict, error) {
	v := Verdict{Claimed: -1}
	stmts, _, err := verify.Statements(ctx, repo, root, mediatypes.ScanVerdict, mediatypes.ScanPredicate, keys, verify.Options{})
	if err != nil {
		return v, fmt.Errorf("reading scan statements of %s: %w", root.Digest, err)
	}
	for _, s := range stmts {
		var p Predicate
		if json.Unmarshal(s.Statement.Predicate, &p) != nil || p.Level < 0 || p.Level > 4 {
			continue // signed, but says nothing usable
		}
		v.Findings = append(v.Findings, Finding{KeyID: s.KeyID, Predicate: p})
	}
	if v.Trusted = Best(v.Findings); v.Trusted != nil {
		v.Level = v.Trusted.Predicate.Level
	}
	reports, err := referrer.List(ctx, repo, root, mediatypes.Scan)
	if err != nil {
		return v, fmt.Errorf("reading scan reports of %s: %w", root.Digest, err)
	}
	newest := ""
	for _, r := range reports {
		if v.Trusted != nil && r.Digest.String() == v.Trusted.Predicate.Report {
			v.Report = r
			continue
		}
		l, err := strconv.Atoi(r.Annotations[mediatypes.AnnotationScanLevel])
		if err != nil || l < 0 || l > 4 {
			continue
		}
		v.Claimed = max(v.Claimed, l)
		if v.Trusted == nil {
			if c := r.Annotations[ocispec.AnnotationCreated]; newest == "" || c > newest {
				v.Report, newest = r, c
			}
		}
	}
	return v, nil
}
