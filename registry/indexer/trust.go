package indexer

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry"

	"github.com/mpak-oci/mpak/mediatypes"
)

// trust is what the referrers of a version say about it.
type trust struct {
	// signed: a signature is attached (a sigstore bundle, a cosign
	// signature referrer, or cosign's legacy .sig tag). The catalog does
	// not verify it: it holds no trust roots; `mpak bundle verify` does.
	signed bool
	// level is the certification level of the newest scan report, 0
	// without one.
	level int
}

// readTrust lists the referrers of a version's root (the referrers API,
// or the sha256-<hex> fallback tag where the registry has no API) and
// cosign's legacy signature tag.
func readTrust(ctx context.Context, repo registry.Repository, root ocispec.Descriptor) (trust, error) {
	var t trust
	var newest string // created annotation of the scan report chosen
	err := repo.Referrers(ctx, root, "", func(refs []ocispec.Descriptor) error {
		for _, r := range refs {
			switch r.ArtifactType {
			case mediatypes.SigstoreBundle, mediatypes.CosignSignature:
				t.signed = true
			case mediatypes.Scan:
				level, err := strconv.Atoi(r.Annotations[mediatypes.AnnotationScanLevel])
				if err != nil || level < 0 || level > 4 {
					continue // a report without a verdict says nothing
				}
				// RFC 3339 in UTC sorts as text; a report without a date
				// loses to one with.
				if created := r.Annotations[ocispec.AnnotationCreated]; newest == "" || created > newest {
					t.level, newest = level, created
				}
			}
		}
		return nil
	})
	if err != nil {
		return t, fmt.Errorf("listing referrers of %s: %w", root.Digest, err)
	}
	if !t.signed {
		legacy := strings.Replace(root.Digest.String(), ":", "-", 1) + ".sig"
		if _, err := repo.Resolve(ctx, legacy); err == nil {
			t.signed = true
		}
	}
	return t, nil
}
