package yank

import (
	"context"
	"encoding/json"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/referrer"
)

// maxRecord bounds a record manifest read when a listing lacks its
// annotations; ours are well under 2 KiB.
const maxRecord = 64 << 10

// Read returns the yank state of subject, a version's root: one referrers
// request (the API, or the sha256-<hex> fallback tag), decided by Decide.
func Read(ctx context.Context, repo registry.ReferrerLister, subject ocispec.Descriptor) (Status, error) {
	refs, err := referrer.List(ctx, repo, subject, mediatypes.Yank)
	if err != nil {
		return Status{}, fmt.Errorf("reading whether %s is yanked: %w", subject.Digest, err)
	}
	if f, ok := repo.(content.Fetcher); ok {
		refs = complete(ctx, f, refs)
	}
	return Decide(refs), nil
}

// complete fills in the annotations of records a registry listed without
// them. The referrers API and the fallback index must carry them, but a
// registry that drops them would otherwise hide every yank, and a yank that
// was found must not be skipped: the cost (a manifest fetch per record) is
// paid only there. A record that still cannot be read is left to Decide,
// which ignores it.
func complete(ctx context.Context, f content.Fetcher, refs []ocispec.Descriptor) []ocispec.Descriptor {
	for i, d := range refs {
		if _, ok := d.Annotations[mediatypes.AnnotationYanked]; ok || d.ArtifactType != mediatypes.Yank || d.Size > maxRecord {
			continue
		}
		b, err := content.FetchAll(ctx, f, d)
		if err != nil {
			continue
		}
		var m ocispec.Manifest
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		refs[i].Annotations = m.Annotations
	}
	return refs
}
