package ingest

import (
	"context"
	"errors"
	"fmt"

	"github.com/mpak-oci/mpak/oci/resolve"
	"github.com/mpak-oci/mpak/registry/catalog"
)

// Difference is one way the catalog and the registry disagree about a
// version.
type Difference struct {
	Repository string
	Tag        string
	Problem    string
	// Fix is what an operator runs or does about it.
	Fix string
}

func (d Difference) String() string {
	return fmt.Sprintf("%s:%s: %s (%s)", d.Repository, d.Tag, d.Problem, d.Fix)
}

// Check compares the catalog's entries of a repository with what the
// registry holds, changing nothing: versions missing from either side,
// digests that differ, tags moved since publication, trust signals (signed,
// level, yanked) the catalog has not caught up with, and bundles mpak can
// pull that cannot be catalogued, with why. Tags holding something that is
// no bundle are returned as skips, not differences.
func (ix *Indexer) Check(ctx context.Context, repository string) ([]Difference, []Skip, error) {
	tags, err := ix.tags(ctx, repository)
	if err != nil {
		return nil, nil, err
	}
	repo, err := ix.Repos.Repository(ctx, repository)
	if err != nil {
		return nil, nil, err
	}
	vs, err := ix.Store.Versions(ctx, repository)
	if err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return nil, nil, err
	}
	byTag := map[string]*catalog.Version{}
	for i := range vs {
		if keyedByTag(&vs[i]) {
			byTag[vs[i].Tag] = &vs[i]
		}
	}
	var diffs []Difference
	var skips []Skip
	diff := func(tag, problem, fix string) {
		diffs = append(diffs, Difference{Repository: repository, Tag: tag, Problem: problem, Fix: fix})
	}
	seen := map[string]bool{}
	for _, tag := range resolve.Versions(tags) {
		seen[tag] = true
		cv := byTag[tag]
		v, root, err := read(ctx, repo, repository, tag)
		switch {
		case errors.Is(err, ErrNotBundle):
			if cv != nil {
				diff(tag, fmt.Sprintf("the catalog has version %s (%s) but the tag now holds %s, which is not a bundle", cv.Version, cv.Digest, root.Digest),
					"the tag was moved outside mpakd: restore it, or run mpakd reindex to mark it tampered")
				continue
			}
			skips = append(skips, Skip{Tag: tag, Reason: err.Error(), NotBundle: true})
		case errors.Is(err, ErrUnpublishable):
			reason := err.Error()
			var skip *SkipError
			if errors.As(err, &skip) {
				reason = "it " + skip.Reason
			}
			diff(tag, "mpak can pull it but the catalog cannot list it: "+reason, "republish it where its manifest.json says, with mpak bundle push")
		case err != nil:
			return diffs, skips, fmt.Errorf("reading %s:%s: %w", repository, tag, err)
		case cv == nil:
			diff(tag, "the registry holds version "+v.Version+" ("+v.Digest+") but the catalog does not list it", "run mpakd sync "+repository)
		case cv.Digest != v.Digest:
			problem := fmt.Sprintf("the catalog names %s as published, but the tag holds %s", cv.Digest, v.Digest)
			if cv.Tampered == "" {
				problem += "; the catalog has not marked it tampered yet"
			}
			diff(tag, problem, "the tag was moved outside mpakd: restore it to the published digest, or accept the move with mpakd reindex --accept-registry")
		default:
			t, err := readTrust(ctx, repo, root, ix.ScannerKeys)
			if err != nil {
				return diffs, skips, fmt.Errorf("reading the referrers of %s:%s: %w", repository, tag, err)
			}
			if t.yank.Yanked != cv.Yanked {
				diff(tag, fmt.Sprintf("yanked is %v in the registry but %v in the catalog", t.yank.Yanked, cv.Yanked), "run mpakd sync "+repository)
			}
			if t.signed != cv.Signed || t.level != cv.Level {
				diff(tag, fmt.Sprintf("the registry's referrers say signed %v, level %d; the catalog says signed %v, level %d", t.signed, t.level, cv.Signed, cv.Level),
					"run mpakd sync "+repository)
			}
		}
	}
	for _, v := range vs {
		switch {
		case !keyedByTag(&v):
			diff(v.Tag, fmt.Sprintf("the catalog lists version %s under tag %s, which is not its tag", v.Version, v.Tag), "run mpakd reindex to prune it")
		case !seen[v.Tag]:
			diff(v.Tag, fmt.Sprintf("the catalog lists version %s (%s) but the registry has no tag %s", v.Version, v.Digest, v.Tag), "run mpakd reindex to prune it")
		}
	}
	return diffs, skips, nil
}
