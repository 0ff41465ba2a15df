package bundle

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote/errcode"

	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/oci/resolve"
	"github.com/mpak-oci/mpak/oci/yank"
)

// Resolver is what version resolution needs from a repository: its tags to
// choose among, and the referrers of a version to tell whether it is
// yanked.
type Resolver interface {
	content.Resolver
	registry.TagLister
	registry.ReferrerLister
}

// Resolution is what a reference resolved to.
type Resolution struct {
	// Reference is the tag or digest the registry serves the version by.
	Reference string
	// Root is the version's index or manifest. It is zero for a digest pin,
	// which resolves without a request, and when the registry could not
	// say (the read that follows reports why).
	Root ocispec.Descriptor
	// Yanked is set when the reference pinned a version exactly (a
	// version or a tag) and that version is yanked; the caller warns.
	// latest and ranges never resolve to a yanked version.
	Yanked *yank.Status
	// Name is the version as the user knows it, e.g. @acme/weather@1.2.0.
	Name string
}

// Warning is what to tell the user about the version ("" when there is
// nothing to say): "@acme/weather@1.2.0 is yanked: <reason>".
func (res Resolution) Warning() string {
	if res.Yanked == nil {
		return ""
	}
	return res.Yanked.Warning(res.Name)
}

// ResolveReference is ResolveQuery's tag or digest, for callers that have
// no one to warn.
func ResolveReference(ctx context.Context, repo Resolver, r ref.Reference) (string, error) {
	res, err := ResolveQuery(ctx, repo, r)
	return res.Reference, err
}

// ResolveQuery turns what the user asked for into a tag or digest the
// registry can serve: a digest pin as is, with no request (the hot path of
// `mpak run @x@sha256:…`); an exact version by its tag, reporting when it is
// yanked; "latest" or a semver range by listing the tags (latest is the
// highest release, not the newest push) and skipping yanked versions.
func ResolveQuery(ctx context.Context, repo Resolver, r ref.Reference) (Resolution, error) {
	if r.Digest != "" {
		return Resolution{Reference: r.Digest, Name: r.Display()}, nil
	}
	if resolve.IsExact(r.Version) {
		tag, err := resolve.TagFor(r.Version)
		if err == nil {
			if root, err := repo.Resolve(ctx, tag); err == nil {
				return pinned(ctx, repo, r, tag, root)
			} else if !errors.Is(err, errdef.ErrNotFound) {
				return Resolution{}, fmt.Errorf("resolving %s: %w", r, explainHEAD(ctx, repo, tag, err))
			}
		}
	}
	tags, err := registry.Tags(ctx, repo)
	if err != nil {
		if errors.Is(err, errdef.ErrNotFound) {
			return Resolution{}, fmt.Errorf("%s: repository not found (check the name, or push a version first)", r.RepositoryRef())
		}
		return Resolution{}, fmt.Errorf("listing versions of %s: %w", r.RepositoryRef(), err)
	}
	return selectUnyanked(ctx, repo, r, tags)
}

// ResolveVersion resolves what the user asked for, once, and reads that
// version: ResolveQuery, then Resolve by the digest it found. Everything
// that follows (a policy check, Pull, Copy, signing, verifying) takes the
// Version, so it acts on that digest and never resolves the tag again.
// The version's Warning says when it is yanked.
func ResolveVersion(ctx context.Context, repo interface {
	Resolver
	oras.ReadOnlyTarget
}, r ref.Reference) (*Version, error) {
	res, err := ResolveQuery(ctx, repo, r)
	if err != nil {
		return nil, err
	}
	// The version is read by the digest the tag resolved to, not by the tag
	// again: what was decided about that digest (not yanked, here; signed
	// and scanned, by the caller's policy) is about what is read.
	reference := res.Reference
	if res.Root.Digest != "" {
		reference = res.Root.Digest.String()
	}
	v, err := Resolve(ctx, repo, reference)
	if err != nil {
		return nil, err
	}
	v.Reference = res.Reference
	v.Yanked, v.Warning = res.Yanked, res.Warning()
	return v, nil
}

// explainHEAD replaces the error of a HEAD request, which has no body, by
// the registry's own explanation: the same request as a GET, whose error
// body says why (mpakd refusing a tag moved behind its back, say).
func explainHEAD(ctx context.Context, repo any, reference string, err error) error {
	var resp *errcode.ErrorResponse
	rf, ok := repo.(registry.ReferenceFetcher)
	if !ok || !errors.As(err, &resp) || resp.Method != http.MethodHead || len(resp.Errors) > 0 {
		return err
	}
	_, rc, gerr := rf.FetchReference(ctx, reference)
	if gerr == nil {
		rc.Close()
		return err
	}
	if errors.As(gerr, &resp) && len(resp.Errors) > 0 {
		return gerr
	}
	return err
}
