package bundle

import (
	"context"
	"errors"
	"fmt"

	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"

	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/oci/resolve"
)

// Resolver is what version resolution needs from a repository.
type Resolver interface {
	content.Resolver
	registry.TagLister
}

// ResolveReference turns what the user asked for into a tag or digest the
// registry can serve: a digest pin as is, an exact version by its tag, and
// "latest" or a semver range by listing the tags (latest is the highest
// release, not the newest push).
func ResolveReference(ctx context.Context, repo Resolver, r ref.Reference) (string, error) {
	if r.Digest != "" {
		return r.Digest, nil
	}
	if resolve.IsExact(r.Version) {
		tag, err := resolve.TagFor(r.Version)
		if err == nil {
			if _, err := repo.Resolve(ctx, tag); err == nil {
				return tag, nil
			} else if !errors.Is(err, errdef.ErrNotFound) {
				return "", fmt.Errorf("resolving %s: %w", r, err)
			}
		}
	}
	tags, err := registry.Tags(ctx, repo)
	if err != nil {
		if errors.Is(err, errdef.ErrNotFound) {
			return "", fmt.Errorf("%s: repository not found (check the name, or push a version first)", r.RepositoryRef())
		}
		return "", fmt.Errorf("listing versions of %s: %w", r.RepositoryRef(), err)
	}
	tag, err := resolve.Select(tags, r.Version)
	if err != nil {
		return "", fmt.Errorf("%s: %w", r.RepositoryRef(), err)
	}
	return tag, nil
}

// ResolveVersion resolves what the user asked for and reads that version:
// ResolveReference, then Resolve.
func ResolveVersion(ctx context.Context, repo interface {
	Resolver
	oras.ReadOnlyTarget
}, r ref.Reference) (*Version, error) {
	reference, err := ResolveReference(ctx, repo, r)
	if err != nil {
		return nil, err
	}
	return Resolve(ctx, repo, reference)
}
