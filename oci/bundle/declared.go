package bundle

import (
	"context"
	"encoding/json"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mediatypes"
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
// version of one bundle. Errors about the content match ErrNotVersion;
// others are failures to read it. rootManifest is v's root manifest when
// the caller has it (a registry checking a manifest it has not stored
// yet); nil fetches it.
func ReadDeclared(ctx context.Context, src content.Fetcher, v *Version, rootManifest []byte) (*Declared, error) {
	d := &Declared{}
	for _, e := range v.Builds {
		var a *Artifact
		var err error
		if v.Index == nil && rootManifest != nil {
			a, err = fetchFrom(ctx, src, e, rootManifest)
		} else {
			a, err = Fetch(ctx, src, e)
		}
		if err != nil {
			return nil, err
		}
		config := a.Config
		if a.Manifest.Config.MediaType != mediatypes.Config {
			if config, err = LayerManifest(ctx, src, a.Layer); err != nil {
				if ctx.Err() != nil {
					return nil, err
				}
				return nil, notVersion("build %s: %w", e.Descriptor.Digest, err)
			}
		}
		m, _, err := mcpb.ParseManifest(config, mcpb.ParseOptions{})
		if err != nil {
			return nil, notVersion("build %s: manifest.json: %w", e.Descriptor.Digest, err)
		}
		if d.Manifest == nil {
			d.ManifestJSON, d.Manifest = config, m
		} else if m.Name != d.Manifest.Name || m.Version != d.Manifest.Version {
			return nil, notVersion("build %s declares %s@%s but build %s declares %s@%s: every build of a version must be the same name and version",
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

// maxClassified bounds the builds fetched to tell whether an index that
// does not say so is a bundle.
const maxClassified = 64

// IsBundle says whether v is a version of an MCP bundle: an index of ours
// by artifact type, or an index or manifest whose builds carry bundles. An
// index that does not say so is judged by fetching its manifests.
// rootManifest is v's root manifest when the caller has it (nil: fetched).
func IsBundle(ctx context.Context, src content.Fetcher, v *Version, rootManifest []byte) (bool, error) {
	if v.Index == nil {
		if rootManifest == nil {
			var err error
			if rootManifest, err = fetchAll(ctx, src, v.Root); err != nil {
				return false, err
			}
		}
		var m ocispec.Manifest
		if err := json.Unmarshal(rootManifest, &m); err != nil {
			return false, nil
		}
		return IsBundleManifest(&m), nil
	}
	if v.Index.ArtifactType == mediatypes.ArtifactType {
		return true, nil
	}
	for _, b := range v.Builds {
		if b.Descriptor.ArtifactType == mediatypes.ArtifactType {
			return true, nil
		}
	}
	for i, b := range v.Builds {
		if i == maxClassified {
			break
		}
		data, err := fetchAll(ctx, src, b.Descriptor)
		if err != nil {
			return false, err
		}
		var m ocispec.Manifest
		if json.Unmarshal(data, &m) == nil && IsBundleManifest(&m) {
			return true, nil
		}
	}
	return false, nil
}
