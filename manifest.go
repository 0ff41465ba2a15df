package mpak

import (
	"context"
	"fmt"

	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
)

// ManifestJSON resolves s and returns manifest.json of its build for
// this machine as published, without downloading the bundle.
func (c *Client) ManifestJSON(ctx context.Context, s string) (*Resolved, []byte, error) {
	r, err := c.Resolve(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	data, err := c.manifestBytes(ctx, r, mediatypes.Platform{})
	if err != nil {
		return nil, nil, err
	}
	return r, data, nil
}

// manifest reads and parses manifest.json of the build for platform.
func (c *Client) manifest(ctx context.Context, r *Resolved, platform mediatypes.Platform) (*mcpb.Manifest, error) {
	data, err := c.manifestBytes(ctx, r, platform)
	if err != nil {
		return nil, err
	}
	m, _, err := mcpb.ParseManifest(data, mcpb.ParseOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: manifest.json: %w", r.Name(), err)
	}
	return m, nil
}

// manifestBytes is manifest.json of the build for platform (zero: this
// machine) as published: the platform manifest's config, a small blob,
// so the bundle itself is not downloaded.
func (c *Client) manifestBytes(ctx context.Context, r *Resolved, platform mediatypes.Platform) ([]byte, error) {
	if platform == (mediatypes.Platform{}) {
		platform = mediatypes.Host()
	}
	e, err := r.Version.Select(platform)
	if err != nil {
		return nil, err
	}
	art, err := bundle.Fetch(ctx, r.Repository, e)
	if err != nil {
		return nil, err
	}
	return art.Config, nil
}
