package indexer

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/claims"
	"github.com/mpak-oci/mpak/oci/yank"
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
	// level is the certification level of the newest scan report, 0
	// without one; report is that report (JSON).
	level  int
	report []byte
	// yank is what the version's yank records decide.
	yank yank.Status
}

// maxReport bounds the scan report the catalog keeps.
const maxReport = 1 << 20

// readTrust lists the referrers of a version's root (the referrers API,
// or the sha256-<hex> fallback tag where the registry has no API) and
// cosign's legacy tags.
func readTrust(ctx context.Context, repo registry.Repository, root ocispec.Descriptor) (trust, error) {
	var t trust
	var newest string // created annotation of the scan report chosen
	var chosen *ocispec.Descriptor
	var all []ocispec.Descriptor
	err := repo.Referrers(ctx, root, "", func(refs []ocispec.Descriptor) error {
		all = append(all, refs...)
		for _, r := range refs {
			switch r.ArtifactType {
			case mediatypes.Scan:
				level, err := strconv.Atoi(r.Annotations[mediatypes.AnnotationScanLevel])
				if err != nil || level < 0 || level > 4 {
					continue // a report without a verdict says nothing
				}
				// RFC 3339 in UTC sorts as text; a report without a date
				// loses to one with.
				if created := r.Annotations[ocispec.AnnotationCreated]; newest == "" || created > newest {
					t.level, newest, chosen = level, created, &r
				}
			}
		}
		return nil
	})
	if err != nil {
		return t, fmt.Errorf("listing referrers of %s: %w", root.Digest, err)
	}
	if chosen != nil {
		t.report = readReport(ctx, repo, *chosen)
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
