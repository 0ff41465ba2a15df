package mpak

import (
	"context"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
)

// PullOptions tune Pull.
type PullOptions struct {
	// Platform is the host to select a build for (default: this machine).
	Platform mediatypes.Platform
	// Output is a directory to write <name>-<version>[-<os>-<arch>].mcpb
	// into, or the path of the file itself, ending in .mcpb (default ".").
	Output string
	// Force replaces an existing file at the output path.
	Force    bool
	Progress bundle.Progress
}

// PullResult is what Pull wrote, and the version it resolved.
type PullResult struct {
	*bundle.PullResult
	Resolved *Resolved
}

// Pull resolves s once, checks the policy on that digest, then writes the
// build for the platform, verified against its digest.
func (c *Client) Pull(ctx context.Context, s string, opts PullOptions) (*PullResult, error) {
	r, err := c.Resolve(ctx, s)
	if err != nil {
		return nil, err
	}
	return c.PullResolved(ctx, r, opts)
}

// PullResolved is Pull of a version already resolved.
func (c *Client) PullResolved(ctx context.Context, r *Resolved, opts PullOptions) (*PullResult, error) {
	if err := c.Check(ctx, r); err != nil {
		return nil, err
	}
	res, err := bundle.Pull(ctx, r.Repository, r.Version, bundle.PullOptions{Platform: opts.Platform, Output: opts.Output,
		Force: opts.Force, Progress: opts.Progress, Limits: c.opts.Limits})
	if err != nil {
		return nil, err
	}
	return &PullResult{PullResult: res, Resolved: r}, nil
}
