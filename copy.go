package mpak

import (
	"context"
	"fmt"

	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/oci/resolve"
)

// Copied is what Copy did.
type Copied struct {
	*bundle.CopyResult
	Source      *Resolved
	Destination ref.Reference
}

// Copy copies the version src names, resolved once, with every platform
// build and everything attached to it, to the repository dst names,
// under dst's version tag or else the tag src was copied by. dst names no
// digest and no range; a version copied by digest needs dst's tag.
func (c *Client) Copy(ctx context.Context, src, dst string, progress bundle.Progress) (*Copied, error) {
	dr, err := c.Parse(dst)
	if err != nil {
		return nil, err
	}
	if dr.Digest != "" {
		return nil, fmt.Errorf("destination %s names a digest: give a repository, optionally with the version tag to write", dst)
	}
	var tag string
	if dr.Version != "" {
		if !resolve.IsExact(dr.Version) {
			return nil, fmt.Errorf("destination version %q is a range: give the exact version tag to write", dr.Version)
		}
		if tag, err = resolve.TagFor(dr.Version); err != nil {
			return nil, err
		}
	}
	to, err := c.opts.Remote.Repository(dr)
	if err != nil {
		return nil, err
	}
	r, err := c.Resolve(ctx, src)
	if err != nil {
		return nil, err
	}
	if tag == "" && r.Ref.Digest != "" {
		return nil, fmt.Errorf("%s is copied by digest: name the version tag to write at the destination, e.g. %s:1.2.0", src, dr.RepositoryRef())
	}
	res, err := bundle.Copy(ctx, r.Repository, to, r.Version, bundle.CopyOptions{Tag: tag, Progress: progress})
	if err != nil {
		return nil, err
	}
	return &Copied{CopyResult: res, Source: r, Destination: dr}, nil
}
