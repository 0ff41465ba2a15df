package ingest

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote/errcode"

	"github.com/mpak-oci/mpak/oci/resolve"
	"github.com/mpak-oci/mpak/registry/catalog"
)

// Skip is a tag that was not indexed, and why.
type Skip struct {
	Tag string
	// Reason is the whole sentence: "acme/x:1.0.0 holds ...".
	Reason string
	// NotBundle: the tag holds something else (an image, a signature),
	// which is expected in a shared registry; otherwise it holds a bundle
	// that cannot be a version there, which its publisher should fix.
	NotBundle bool
}

// Report is what indexing one repository did.
type Report struct {
	Repository string
	Indexed    []string // tags
	Skipped    []Skip
	Tampered   []*TamperedError
	// Pruned are versions removed from the catalog: the registry no
	// longer has their tag, or they were keyed by a tag they do not hold.
	Pruned []string
}

// Repository brings a repository's catalog entries in line with the
// registry: it indexes every version tag and prunes versions the registry
// no longer holds. Tags that are not versions are reported, with why, in
// Skipped; a failure to read the registry stops it, pruning nothing.
func (ix *Indexer) Repository(ctx context.Context, repository string) (*Report, error) {
	rep := &Report{Repository: repository}
	tags, err := ix.tags(ctx, repository)
	if err != nil {
		return rep, err
	}
	have := map[string]bool{}
	for _, tag := range tags {
		have[tag] = true
	}
	for _, tag := range resolve.Versions(tags) {
		err := ix.Tag(ctx, repository, tag)
		var tampered *TamperedError
		switch {
		case err == nil:
			rep.Indexed = append(rep.Indexed, tag)
		case errors.As(err, &tampered):
			rep.Tampered = append(rep.Tampered, tampered)
		case errors.Is(err, ErrNotBundle):
			rep.Skipped = append(rep.Skipped, Skip{Tag: tag, Reason: err.Error(), NotBundle: true})
		case errors.Is(err, ErrUnpublishable):
			rep.Skipped = append(rep.Skipped, Skip{Tag: tag, Reason: err.Error()})
		default:
			return rep, fmt.Errorf("indexing %s:%s: %w", repository, tag, err)
		}
	}
	vs, err := ix.Store.Versions(ctx, repository)
	if err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return rep, err
	}
	for _, v := range vs {
		if have[v.Tag] && keyedByTag(&v) {
			continue
		}
		if err := ix.prune(ctx, &v, have); err != nil {
			return rep, err
		}
		rep.Pruned = append(rep.Pruned, v.Version)
	}
	return rep, nil
}

// prune removes v, holding its version's lock and checking again that the
// registry has no tag for it: a publication may have landed meanwhile.
func (ix *Indexer) prune(ctx context.Context, v *catalog.Version, have map[string]bool) error {
	unlock, err := ix.Store.Lock(ctx, catalog.VersionLockKey(v.Repository, v.Tag))
	if err != nil {
		return err
	}
	defer unlock()
	if keyedByTag(v) {
		repo, err := ix.Repos.Repository(ctx, v.Repository)
		if err != nil {
			return err
		}
		if _, err := repo.Resolve(ctx, v.Tag); err == nil {
			return nil
		} else if !errors.Is(err, errdef.ErrNotFound) {
			return err
		}
	}
	if err := ix.Store.DeleteVersion(ctx, v.Repository, v.Version); err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return err
	}
	ix.log().Info("pruned: the registry no longer holds it", "repository", v.Repository, "version", v.Version, "tag", v.Tag, "digest", v.Digest)
	return nil
}

// keyedByTag is a catalog entry stored under its own version's tag;
// entries indexed before tags had to match their manifest.json are not.
func keyedByTag(v *catalog.Version) bool {
	tag, err := resolve.TagFor(v.Version)
	return err == nil && tag == v.Tag
}

// tags lists a repository's tags; a repository the registry does not know
// has none.
func (ix *Indexer) tags(ctx context.Context, repository string) ([]string, error) {
	repo, err := ix.Repos.Repository(ctx, repository)
	if err != nil {
		return nil, err
	}
	tags, err := registry.Tags(ctx, repo)
	var resp *errcode.ErrorResponse
	if errors.Is(err, errdef.ErrNotFound) || errors.As(err, &resp) && resp.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing tags of %s: %w", repository, err)
	}
	return tags, nil
}
