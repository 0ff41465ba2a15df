package mpak

import (
	"context"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/ref"
)

// Resolved is a reference resolved once: the version it means now, by
// digest. Whatever the tag says later, every step given a Resolved uses
// Version.Root.Digest.
type Resolved struct {
	Ref        ref.Reference
	Repository *remote.Repository
	Version    *bundle.Version
}

// Name is the version's repository and root digest, host/repo@sha256:...
func (r *Resolved) Name() string { return r.Ref.RepositoryRef() + "@" + r.Version.Root.Digest.String() }

// Resolve parses s and resolves it in its registry: a range or latest to
// the highest release not yanked, a tag to its digest, read once.
func (c *Client) Resolve(ctx context.Context, s string) (*Resolved, error) {
	r, err := c.Parse(s)
	if err != nil {
		return nil, err
	}
	return c.ResolveRef(ctx, r)
}

// ResolveRef is Resolve for a parsed reference.
func (c *Client) ResolveRef(ctx context.Context, r ref.Reference) (*Resolved, error) {
	repo, err := c.opts.Remote.Repository(r)
	if err != nil {
		return nil, err
	}
	v, err := bundle.ResolveVersion(ctx, repo, r)
	if err != nil {
		return nil, err
	}
	return &Resolved{Ref: r, Repository: repo, Version: v}, nil
}

// Check asks the policy about the resolved version (online), before
// anything of it is fetched.
func (c *Client) Check(ctx context.Context, r *Resolved) error {
	if !c.opts.Policy.Active() {
		return nil
	}
	return c.opts.Policy.Check(ctx, r.Ref, r.Version.Root.Digest, true)
}

// query resolves r the way a lock or a yank names a version: a digest as
// is, an exact version by its tag even when yanked (the warning says so),
// a range to the highest version not yanked; then the tag to the root it
// names now, read once.
func (c *Client) query(ctx context.Context, r ref.Reference) (*remote.Repository, bundle.Resolution, ocispec.Descriptor, error) {
	repo, err := c.opts.Remote.Repository(r)
	if err != nil {
		return nil, bundle.Resolution{}, ocispec.Descriptor{}, err
	}
	res, err := bundle.ResolveQuery(ctx, repo, r)
	if err != nil {
		return nil, res, ocispec.Descriptor{}, err
	}
	root := res.Root
	if root.Digest == "" {
		if root, err = repo.Resolve(ctx, res.Reference); err != nil {
			return nil, res, root, fmt.Errorf("resolving %s: %w", res.Reference, err)
		}
	}
	return repo, res, root, nil
}
