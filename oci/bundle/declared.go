package bundle

import (
	"context"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/mcpb"
)

// Declared is what a version says about itself: each build's manifest, and
// the manifest.json every build agrees on.
type Declared struct {
	Artifacts []*Artifact // one per build, in the version's order
	// ManifestJSON is the first build's manifest.json, verbatim.
	ManifestJSON []byte
	Manifest     *mcpb.Manifest
}

// ReadDeclared reads every build of v and its manifest.json: the config
// where mpak pushed it, else the file inside the .mcpb (a version another
// tool pushed, such as a plain `oras push`), read by byte ranges. Builds
// that declare different names or versions are an error: one tag is one
// version of one bundle.
func ReadDeclared(ctx context.Context, src content.Fetcher, v *Version) (*Declared, error) {
	d := &Declared{}
	for _, e := range v.Builds {
		a, err := Fetch(ctx, src, e)
		if err != nil {
			return nil, err
		}
		config := a.Config
		if a.Manifest.Config.MediaType != mediatypes.Config {
			if config, err = LayerManifest(ctx, src, a.Layer); err != nil {
				return nil, fmt.Errorf("build %s: %w", e.Descriptor.Digest, err)
			}
		}
		m, _, err := mcpb.ParseManifest(config, mcpb.ParseOptions{})
		if err != nil {
			return nil, fmt.Errorf("build %s: manifest.json: %w", e.Descriptor.Digest, err)
		}
		if d.Manifest == nil {
			d.ManifestJSON, d.Manifest = config, m
		} else if m.Name != d.Manifest.Name || m.Version != d.Manifest.Version {
			return nil, fmt.Errorf("build %s declares %s@%s but build %s declares %s@%s: every build of a version must be the same name and version",
				e.Descriptor.Digest, m.Name, m.Version, d.Artifacts[0].Entry.Descriptor.Digest, d.Manifest.Name, d.Manifest.Version)
		}
		d.Artifacts = append(d.Artifacts, a)
	}
	if d.Manifest == nil {
		return nil, fmt.Errorf("%s has no builds", v.Reference)
	}
	return d, nil
}

// IsBundleManifest says whether a manifest is a build of an MCP bundle:
// ours by artifact type or config, or another tool's carrying a .mcpb
// layer (by media type or file name).
func IsBundleManifest(m *ocispec.Manifest) bool {
	if m.ArtifactType == mediatypes.ArtifactType || m.Config.MediaType == mediatypes.Config {
		return true
	}
	for _, l := range m.Layers {
		if l.MediaType == mediatypes.Bundle || hasBundleTitle(l) {
			return true
		}
	}
	return false
}
