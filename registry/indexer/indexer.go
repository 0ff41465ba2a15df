// Package indexer turns what a registry holds into catalog entries. It
// reads only OCI indexes, manifests and configs (manifest.json), never the
// bundle zips, so indexing a version costs a few small requests whatever
// the bundle's size.
package indexer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/mcpb"
	"github.com/mpak-oci/mpak/oci/resolve"
	"github.com/mpak-oci/mpak/registry/index"
)

// ErrNotBundle is matched when a tag holds something other than an MCP
// bundle (a container image, a signature): it is skipped, not indexed.
var ErrNotBundle = errors.New("not an MCP bundle")

// Repositories opens repositories by name.
type Repositories interface {
	Repository(ctx context.Context, name string) (registry.Repository, error)
}

// Indexer records versions in a store.
type Indexer struct {
	Store index.Store
	Repos Repositories
	Log   *slog.Logger
	// Now stamps IndexedAt (tests pin it).
	Now func() time.Time
}

func (ix *Indexer) now() time.Time {
	if ix.Now != nil {
		return ix.Now()
	}
	return time.Now().UTC()
}

func (ix *Indexer) log() *slog.Logger {
	if ix.Log != nil {
		return ix.Log
	}
	return slog.Default()
}

// Tag indexes the version a tag names.
func (ix *Indexer) Tag(ctx context.Context, repository, tag string) error {
	if !resolve.IsVersionTag(tag) {
		return nil
	}
	repo, err := ix.Repos.Repository(ctx, repository)
	if err != nil {
		return err
	}
	v, root, err := read(ctx, repo, repository, tag)
	if err != nil {
		return err
	}
	// Trust signals are extras: a registry that cannot list referrers
	// still gets its versions indexed, as unsigned.
	if t, err := readTrust(ctx, repo, root); err != nil {
		ix.log().Warn("reading signatures and scan reports failed; indexed as unsigned", "repository", repository, "tag", tag, "err", err)
	} else {
		v.Signed, v.Level, v.ScanReport, v.Provenance = t.signed, t.level, t.report, t.claims
	}
	v.IndexedAt = ix.now()
	if err := ix.Store.PutVersion(ctx, v); err != nil {
		return fmt.Errorf("indexing %s:%s: %w", repository, tag, err)
	}
	ix.log().Info("indexed", "repository", repository, "version", v.Version, "digest", v.Digest, "builds", len(v.Builds))
	return nil
}

// Repository indexes every version tag of a repository and returns how many
// versions were recorded.
func (ix *Indexer) Repository(ctx context.Context, repository string) (int, error) {
	repo, err := ix.Repos.Repository(ctx, repository)
	if err != nil {
		return 0, err
	}
	tags, err := registry.Tags(ctx, repo)
	if err != nil {
		return 0, fmt.Errorf("listing tags of %s: %w", repository, err)
	}
	n := 0
	for _, tag := range resolve.Versions(tags) {
		err := ix.Tag(ctx, repository, tag)
		switch {
		case errors.Is(err, ErrNotBundle):
			continue
		case err != nil:
			return n, err
		}
		n++
	}
	return n, nil
}

// Read builds the catalog entry of a tag from the registry (without the
// trust signals, which need a registry that lists referrers).
func Read(ctx context.Context, src oras.ReadOnlyTarget, repository, tag string) (*index.Version, error) {
	v, _, err := read(ctx, src, repository, tag)
	return v, err
}

// read is Read, also returning the version's root descriptor.
func read(ctx context.Context, src oras.ReadOnlyTarget, repository, tag string) (*index.Version, ocispec.Descriptor, error) {
	v, err := bundle.Resolve(ctx, src, tag)
	if err != nil {
		return nil, ocispec.Descriptor{}, err
	}
	if !isBundle(v) {
		return nil, ocispec.Descriptor{}, fmt.Errorf("%s:%s: %w", repository, tag, ErrNotBundle)
	}
	out := &index.Version{Repository: repository, Tag: tag, Digest: v.Root.Digest.String()}
	var config []byte
	var annotations map[string]string
	if v.Index != nil {
		annotations = v.Index.Annotations
	}
	for _, e := range v.Builds {
		a, err := bundle.Fetch(ctx, src, e)
		if err != nil {
			return nil, ocispec.Descriptor{}, err
		}
		if a.Manifest.Config.MediaType == mediatypes.Config && config == nil {
			config = a.Config
		}
		if v.Index == nil {
			annotations = a.Manifest.Annotations
		}
		out.Builds = append(out.Builds, index.Build{Platform: e.Platform.String(), ManifestDigest: e.Descriptor.Digest.String(),
			LayerDigest: a.Layer.Digest.String(), Size: a.Layer.Size})
	}
	out.Annotations = annotations
	if config == nil {
		return nil, ocispec.Descriptor{}, fmt.Errorf("%s:%s has no %s config: %w", repository, tag, mediatypes.Config, ErrNotBundle)
	}
	m, _, err := mcpb.ParseManifest(config, mcpb.ParseOptions{})
	if err != nil {
		return nil, ocispec.Descriptor{}, fmt.Errorf("%s:%s: manifest.json: %w", repository, tag, err)
	}
	fill(out, m, config)
	out.PublishedAt = published(annotations)
	return out, v.Root, nil
}

// isBundle recognises our artifacts, and manifests carrying a .mcpb layer.
func isBundle(v *bundle.Version) bool {
	if v.Index != nil && v.Index.ArtifactType == mediatypes.ArtifactType {
		return true
	}
	for _, b := range v.Builds {
		if b.Descriptor.ArtifactType == mediatypes.ArtifactType {
			return true
		}
	}
	return v.Index == nil // a single manifest: decided by its config below
}

func fill(v *index.Version, m *mcpb.Manifest, config []byte) {
	v.Version = m.Version
	if sv, err := semver.StrictNewVersion(m.Version); err == nil {
		v.Prerelease = sv.Prerelease() != ""
	}
	v.Name, v.DisplayName, v.Description, v.LongDescription = m.Name, m.DisplayName, m.Description, m.LongDescription
	v.Keywords, v.Author, v.License, v.Homepage = m.Keywords, m.Author.Name, m.License, m.Homepage
	if m.Repository != nil {
		v.SourceURL = m.Repository.URL
	}
	v.ServerType, v.ManifestVersion = m.Server.Type, m.ManifestVersion
	for _, t := range m.Tools {
		v.Tools = append(v.Tools, index.Tool{Name: t.Name, Description: t.Description})
	}
	for _, p := range m.Prompts {
		v.Prompts = append(v.Prompts, p.Name)
	}
	v.UserConfigKeys = m.UserConfigKeys()
	v.Manifest = config
}

// published is the version's created annotation, which comes from the
// bundle, not from the push.
func published(a map[string]string) time.Time {
	if t, err := time.Parse(time.RFC3339, strings.TrimSpace(a[ocispec.AnnotationCreated])); err == nil {
		return t.UTC()
	}
	return time.Time{}
}
