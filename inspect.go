package mpak

import (
	"context"
	"os"

	"github.com/opencontainers/go-digest"

	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
)

// Inspection is what a version holds: every build, and the archive of
// the build for the platform asked, open for reading. Close it.
type Inspection struct {
	Resolved *Resolved
	Builds   []*bundle.Artifact
	// Selected is the build Archive was read from.
	Selected *bundle.Artifact
	Archive  *mcpb.Archive
	dir      string
}

// Close closes the archive and removes its download.
func (i *Inspection) Close() error {
	err := i.Archive.Close()
	os.RemoveAll(i.dir)
	return err
}

// Inspect resolves s once, reads every build's manifest, and downloads
// the build for platform (default: this machine), verified as Pull
// verifies it, to read its files. Nothing is cached.
func (c *Client) Inspect(ctx context.Context, s string, platform mediatypes.Platform) (*Inspection, error) {
	r, err := c.Resolve(ctx, s)
	if err != nil {
		return nil, err
	}
	if platform == (mediatypes.Platform{}) {
		platform = mediatypes.Host()
	}
	selected, err := r.Version.Select(platform)
	if err != nil {
		return nil, err
	}
	in := &Inspection{Resolved: r}
	for _, e := range r.Version.Builds {
		art, err := bundle.Fetch(ctx, r.Repository, e)
		if err != nil {
			return nil, err
		}
		in.Builds = append(in.Builds, art)
		if e.Descriptor.Digest == selected.Descriptor.Digest {
			in.Selected = art
		}
	}
	if in.dir, err = os.MkdirTemp("", "mpak-inspect-"); err != nil {
		return nil, err
	}
	res, err := bundle.PullArtifact(ctx, r.Repository, r.Version, in.Selected, bundle.PullOptions{Output: in.dir, Limits: c.opts.Limits})
	if err == nil {
		opts := mcpb.OpenOptions{Limits: c.opts.Limits}
		if d := res.Artifact.Layer.Digest; d.Algorithm() == digest.SHA256 {
			opts.VerifiedSHA256 = d.Encoded() // the pull just checked it
		}
		in.Archive, err = mcpb.Open(res.Path, opts)
	}
	if err != nil {
		os.RemoveAll(in.dir)
		return nil, err
	}
	return in, nil
}
