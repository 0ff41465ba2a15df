package mpak

import (
	"context"

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
