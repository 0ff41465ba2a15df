package mpak

import (
	"context"
	"fmt"
	"maps"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/oci/resolve"
)

// PushOptions tune Push.
type PushOptions struct {
	// Annotations are added to the index and every manifest.
	Annotations map[string]string
	// Revision is the source revision (a git commit), and MCPName the
	// official MCP Registry server name (io.github.owner/name): their
	// annotations, set over Annotations'.
	Revision, MCPName string
	// Created is the created annotation (zero: the newest file time in
	// the bundle; never "now", so that a push is reproducible).
	Created  time.Time
	Progress bundle.Progress
}

// Pushed is what Push published.
type Pushed struct {
	Ref  ref.Reference
	Tag  string
	Plan *bundle.Plan
	// Unchanged is true when the registry already held exactly this
	// version: nothing was written.
	Unchanged bool
}

// Push publishes files (one build each) as one version of the repository
// s names: the version and tag come from the bundles' manifest.json, and
// a version or tag in s must agree. A published version is never
// overwritten (bundle.ErrVersionExists).
func (c *Client) Push(ctx context.Context, s string, files []bundle.File, opts PushOptions) (*Pushed, error) {
	r, err := c.Parse(s)
	if err != nil {
		return nil, err
	}
	ann := map[string]string{}
	maps.Copy(ann, opts.Annotations)
	if opts.Revision != "" {
		ann[ocispec.AnnotationRevision] = opts.Revision
	}
	if opts.MCPName != "" {
		ann[mediatypes.AnnotationMCPName] = opts.MCPName
	}
	plan, err := bundle.Prepare(files, bundle.PrepareOptions{Annotations: ann, Created: opts.Created, Limits: c.opts.Limits})
	if err != nil {
		return nil, err
	}
	tag, err := pushTag(r, plan.Version)
	if err != nil {
		return nil, err
	}
	repo, err := c.opts.Remote.Repository(r)
	if err != nil {
		return nil, err
	}
	res, err := bundle.Push(ctx, repo, plan, tag, bundle.PushOptions{Progress: opts.Progress})
	if err != nil {
		return nil, err
	}
	return &Pushed{Ref: r, Tag: tag, Plan: plan, Unchanged: res.Unchanged}, nil
}

// pushTag is the version's tag; a version or tag in the reference must
// agree with the manifest, since the tag is the version.
func pushTag(r ref.Reference, version string) (string, error) {
	tag, err := resolve.TagFor(version)
	if err != nil {
		return "", err
	}
	if r.Digest != "" {
		return "", fmt.Errorf("%s pins a digest: push to a repository, the tag comes from the version", r)
	}
	if r.Version != "" && r.Version != version && r.Version != tag {
		return "", fmt.Errorf("REF asks for version %q but manifest.json says %q: drop the version from REF or fix the manifest", r.Version, version)
	}
	return tag, nil
}
