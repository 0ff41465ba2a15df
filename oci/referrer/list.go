package referrer

import (
	"context"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry"
)

// List returns the referrers of subject, of artifactType only when it is
// not empty: through the referrers API, or the fallback tag where the
// registry has no API.
func List(ctx context.Context, repo registry.ReferrerLister, subject ocispec.Descriptor, artifactType string) ([]ocispec.Descriptor, error) {
	var out []ocispec.Descriptor
	err := repo.Referrers(ctx, subject, artifactType, func(refs []ocispec.Descriptor) error {
		out = append(out, refs...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing referrers of %s: %w", subject.Digest, err)
	}
	return out, nil
}

// Listed reports whether the referrers of subject include d.
func Listed(ctx context.Context, repo registry.ReferrerLister, subject ocispec.Descriptor, d digest.Digest) (bool, error) {
	refs, err := List(ctx, repo, subject, "")
	if err != nil {
		return false, err
	}
	for _, r := range refs {
		if r.Digest == d {
			return true, nil
		}
	}
	return false, nil
}

// FallbackTag is the tag the distribution spec assigns to the referrers
// index of subject: <alg>-<hex>, the algorithm cut to 32 characters, the
// encoded part to 64, characters not allowed in a tag replaced by '-'.
func FallbackTag(subject digest.Digest) string {
	alg, enc := subject.Algorithm().String(), subject.Encoded()
	if len(alg) > 32 {
		alg = alg[:32]
	}
	if len(enc) > 64 {
		enc = enc[:64]
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			return r
		}
		return '-'
	}, alg+"-"+enc)
}
