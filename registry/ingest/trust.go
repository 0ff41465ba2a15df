package ingest

import (
	"context"
	"encoding/json"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry"

	"github.com/mpak-oci/mpak/oci/claims"
	"github.com/mpak-oci/mpak/oci/verify"
	"github.com/mpak-oci/mpak/oci/yank"
	"github.com/mpak-oci/mpak/scanlevel"
)

// trust is what the referrers of a version say about it.
type trust struct {
	// signed: a signature or attestation about this version is attached
	// (a sigstore bundle, a cosign signature referrer, or cosign's legacy
	// .sig or .att tag). The catalog does not verify it: it holds no trust
	// roots; `mpak bundle verify` does. claims is what they say (JSON of
	// claims.Claims), nil when unsigned.
	signed bool
	claims []byte
	// level is the certification level a trusted scanner signed (0
	// without one; verified says whether one did); claimed is the highest
	// level an unverified report states; report is the report shown (JSON).
	level    int
	verified bool
	claimed  int
	report   []byte
	// yank is what the version's yank records decide.
	yank yank.Status
}

// maxReport bounds the scan report the catalog keeps.
const maxReport = 1 << 20

// readTrust lists the referrers of a version's root (the referrers API,
// or the sha256-<hex> fallback tag where the registry has no API) and
// cosign's legacy tags. A level counts only from a scan verdict that
// verifies with one of scanners (scanlevel).
func readTrust(ctx context.Context, repo registry.Repository, root ocispec.Descriptor, scanners []verify.Key) (trust, error) {
	var t trust
	var all []ocispec.Descriptor
	err := repo.Referrers(ctx, root, "", func(refs []ocispec.Descriptor) error {
		all = append(all, refs...)
		return nil
	})
	if err != nil {
		return t, fmt.Errorf("listing referrers of %s: %w", root.Digest, err)
	}
	v, err := scanlevel.Decide(ctx, repo, root, scanners)
	if err != nil {
		return t, err
	}
	t.level, t.verified, t.claimed = v.Level, v.Verified(), max(v.Claimed, 0)
	if v.Report.Digest != "" {
		t.report = readReport(ctx, repo, v.Report)
	}
	t.yank = yank.Decide(all)
	// What cannot be read is left out: an unreadable or replayed signature
	// does not make a version signed.
	c, _ := claims.Read(ctx, repo, root, all, claims.Options{})
	if c.Signed() {
		t.signed = true
		if t.claims, err = json.Marshal(c); err != nil {
			return t, err
		}
	}
	return t, nil
}

// readReport fetches a scan report referrer's JSON; a report that cannot
// be read leaves the level indexed without its details.
func readReport(ctx context.Context, repo registry.Repository, d ocispec.Descriptor) []byte {
	if d.Size > maxReport {
		return nil
	}
	mb, err := content.FetchAll(ctx, repo, d)
	if err != nil {
		return nil
	}
	var m ocispec.Manifest
	if json.Unmarshal(mb, &m) != nil || len(m.Layers) == 0 || m.Layers[0].Size > maxReport {
		return nil
	}
	body, err := content.FetchAll(ctx, repo, m.Layers[0])
	if err != nil || !json.Valid(body) {
		return nil
	}
	return body
}
