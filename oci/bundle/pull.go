package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry"

	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/yank"
)

// maxMetadata bounds manifests and configs read into memory (OCI registries
// are asked to accept at least 4 MiB manifests; ours are a few KiB).
const maxMetadata = 4 << 20

// Version is a resolved version: its root (an index, or a single manifest
// as a plain `oras push` makes) and the builds it offers.
type Version struct {
	Reference string
	Root      ocispec.Descriptor
	Index     *ocispec.Index
	Builds    []Entry
	// Yanked and Warning are set by ResolveVersion when the version was
	// pinned exactly and is yanked (see Resolution).
	Yanked  *yank.Status
	Warning string
}

// Entry is one build of a version.
type Entry struct {
	Platform   mediatypes.Platform
	Descriptor ocispec.Descriptor
}

// Resolve reads the version a tag or digest names.
func Resolve(ctx context.Context, src oras.ReadOnlyTarget, reference string) (*Version, error) {
	root, data, err := fetchRoot(ctx, src, reference)
	if err != nil {
		return nil, err
	}
	return ParseVersion(reference, root, data)
}

// ErrNotVersion is matched by errors about content that is no bundle
// version (another kind of manifest, a broken manifest.json), as opposed to
// failures to reach the registry.
var ErrNotVersion = errors.New("not a bundle version")

// ParseVersion reads a version from its root manifest's bytes: an index
// lists the builds, a single manifest is one. A registry reading a
// manifest it is being asked to store uses this before any tag names it.
func ParseVersion(reference string, root ocispec.Descriptor, data []byte) (*Version, error) {
	v := &Version{Reference: reference, Root: root}
	switch root.MediaType {
	case ocispec.MediaTypeImageIndex, "application/vnd.docker.distribution.manifest.list.v2+json":
		var idx ocispec.Index
		if err := json.Unmarshal(data, &idx); err != nil {
			return nil, notVersion("index %s is not valid JSON: %w", root.Digest, err)
		}
		v.Index = &idx
		for _, d := range idx.Manifests {
			if d.MediaType != ocispec.MediaTypeImageManifest && d.MediaType != "application/vnd.docker.distribution.manifest.v2+json" {
				continue // nested indexes and unknown types are not builds
			}
			v.Builds = append(v.Builds, Entry{Platform: mediatypes.FromDescriptor(d), Descriptor: d})
		}
	case ocispec.MediaTypeImageManifest:
		// A single manifest is one platform-independent build, unless it
		// says otherwise in its annotations.
		var m ocispec.Manifest
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, notVersion("manifest %s is not valid JSON: %w", root.Digest, err)
		}
		d := root
		d.Annotations = m.Annotations
		v.Builds = []Entry{{Platform: mediatypes.FromDescriptor(d), Descriptor: root}}
	default:
		return nil, notVersion("%s is a %s, not an OCI index or manifest", reference, root.MediaType)
	}
	if len(v.Builds) == 0 {
		return nil, notVersion("%s has no bundle builds in its index", reference)
	}
	return v, nil
}

// fetchRoot reads the manifest a reference names, in one GET where the
// target can (a HEAD then a GET costs a round trip per run).
func fetchRoot(ctx context.Context, src oras.ReadOnlyTarget, reference string) (ocispec.Descriptor, []byte, error) {
	if rf, ok := src.(registry.ReferenceFetcher); ok {
		desc, rc, err := rf.FetchReference(ctx, reference)
		if err != nil {
			return ocispec.Descriptor{}, nil, fmt.Errorf("resolving %s: %w", reference, err)
		}
		defer rc.Close()
		if desc.Size > maxMetadata {
			return ocispec.Descriptor{}, nil, fmt.Errorf("%s is %d bytes, over the %d byte limit for manifests", reference, desc.Size, maxMetadata)
		}
		data, err := content.ReadAll(rc, desc)
		if err != nil {
			return ocispec.Descriptor{}, nil, fmt.Errorf("reading %s: %w", reference, err)
		}
		return desc, data, nil
	}
	desc, err := src.Resolve(ctx, reference)
	if err != nil {
		return ocispec.Descriptor{}, nil, fmt.Errorf("resolving %s: %w", reference, err)
	}
	data, err := fetchAll(ctx, src, desc)
	return desc, data, err
}

// Platforms lists what a version offers, for messages and `inspect`.
func (v *Version) Platforms() []string {
	var out []string
	for _, b := range v.Builds {
		out = append(out, b.Platform.String())
	}
	sort.Strings(out)
	return out
}

// Select picks the build for host: exact os/arch, then the same OS with any
// architecture, then a platform-independent build.
func (v *Version) Select(host mediatypes.Platform) (Entry, error) {
	best, rank := Entry{}, 0
	for _, b := range v.Builds {
		if r := b.Platform.Match(host); r > rank {
			best, rank = b, r
		}
	}
	if rank == 0 {
		return Entry{}, fmt.Errorf("no build for %s (available: %s): pass --platform to pick one", host, strings.Join(v.Platforms(), ", "))
	}
	return best, nil
}

// Artifact is one build's manifest with its config and bundle layer.
type Artifact struct {
	Entry    Entry
	Manifest ocispec.Manifest
	// Config is manifest.json when the config is ours, else the raw config.
	Config []byte
	Layer  ocispec.Descriptor
}

// FileName is the name to save the bundle under: the layer's title when it
// is a safe base name, else one derived from the digest.
func (a *Artifact) FileName() string {
	t := a.Layer.Annotations[ocispec.AnnotationTitle]
	if t != "" && t == filepath.Base(t) && t != "." && t != ".." && !strings.ContainsAny(t, `/\`) {
		return t
	}
	return "bundle-" + a.Layer.Digest.Encoded()[:12] + ".mcpb"
}

// Fetch reads a build's manifest and config, and finds its bundle layer.
func Fetch(ctx context.Context, src content.Fetcher, e Entry) (*Artifact, error) {
	data, err := fetchAll(ctx, src, e.Descriptor)
	if err != nil {
		return nil, err
	}
	return fetchFrom(ctx, src, e, data)
}

// fetchFrom is Fetch for a build whose manifest bytes the caller has.
func fetchFrom(ctx context.Context, src content.Fetcher, e Entry, data []byte) (*Artifact, error) {
	var err error
	a := &Artifact{Entry: e}
	if err := json.Unmarshal(data, &a.Manifest); err != nil {
		return nil, notVersion("manifest %s is not valid JSON: %w", e.Descriptor.Digest, err)
	}
	if a.Layer, err = bundleLayer(a.Manifest); err != nil {
		return nil, notVersion("manifest %s: %w", e.Descriptor.Digest, err)
	}
	if c := a.Manifest.Config; c.Size > 0 && c.Size <= maxMetadata {
		if a.Config, err = fetchAll(ctx, src, c); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// bundleLayer finds the .mcpb among a manifest's layers: by media type, then
// by a .mcpb title (what `oras push x.mcpb` writes), then a lone layer.
func bundleLayer(m ocispec.Manifest) (ocispec.Descriptor, error) {
	for _, l := range m.Layers {
		if l.MediaType == mediatypes.Bundle {
			return l, nil
		}
	}
	for _, l := range m.Layers {
		if hasBundleTitle(l) {
			return l, nil
		}
	}
	if len(m.Layers) == 1 {
		return m.Layers[0], nil
	}
	return ocispec.Descriptor{}, fmt.Errorf("no %s layer among %d layers: this is not an MCP bundle", mediatypes.Bundle, len(m.Layers))
}

// hasBundleTitle is a layer named as a .mcpb file, as `oras push x.mcpb`
// names it.
func hasBundleTitle(l ocispec.Descriptor) bool {
	return strings.HasSuffix(strings.ToLower(l.Annotations[ocispec.AnnotationTitle]), ".mcpb")
}

// FetchBundle streams the bundle layer to w, checking size and digest as it
// goes; on a mismatch it returns an error and w holds bytes not to be used.
func FetchBundle(ctx context.Context, src content.Fetcher, layer ocispec.Descriptor, w io.Writer, prog Progress) error {
	rc, err := src.Fetch(ctx, layer)
	if err != nil {
		return fmt.Errorf("fetching %s: %w", layer.Digest, err)
	}
	defer rc.Close()
	vr := content.NewVerifyReader(rc, layer)
	name := layer.Annotations[ocispec.AnnotationTitle]
	if _, err := io.Copy(w, progressOrNop(prog).Track(layer, name, vr)); err != nil {
		return fmt.Errorf("downloading %s: %w", layer.Digest, err)
	}
	if err := vr.Verify(); err != nil {
		return fmt.Errorf("bundle %s failed verification: %w", layer.Digest, err)
	}
	return nil
}

func fetchAll(ctx context.Context, src content.Fetcher, d ocispec.Descriptor) ([]byte, error) {
	if d.Size > maxMetadata {
		return nil, fmt.Errorf("%s %s is %d bytes, over the %d byte limit for metadata", d.MediaType, d.Digest, d.Size, maxMetadata)
	}
	b, err := content.FetchAll(ctx, src, d)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", d.Digest, err)
	}
	return b, nil
}

// PullOptions tunes Pull.
type PullOptions struct {
	// Platform is the host to select for (default: this machine).
	Platform mediatypes.Platform
	// Output is a directory to write into under the name mpak derives
	// (FileName), or a path ending in .mcpb that names the file itself
	// (default: ".").
	Output string
	// Force replaces an existing file at the output path (the file or link
	// itself, never what a link points to); without it Pull refuses.
	Force    bool
	Progress Progress
	// Limits cap what checking the downloaded archive may unpack (zero
	// fields: mcpb.DefaultLimits).
	Limits mcpb.Limits
}

// PullResult says what Pull wrote.
type PullResult struct {
	Version  *Version
	Artifact *Artifact
	Path     string
}

// ErrExists is matched when Pull would replace a file without Force.
var ErrExists = errors.New("file exists")

// Pull selects v's build for the platform and writes its .mcpb atomically:
// to a temporary file first, moved into place only after the digest and
// the archive checked out, so a failed pull leaves nothing behind. It
// takes a resolved Version, not a tag, so that what the caller checked
// (ResolveVersion's digest) is what is written: nothing is resolved again.
//
// The file name is never the publisher's (a layer titled .bashrc is still
// written as <name>-<version>.mcpb), and an existing file is kept unless
// opts.Force.
func Pull(ctx context.Context, src content.Fetcher, v *Version, opts PullOptions) (*PullResult, error) {
	host := opts.Platform
	if host == (mediatypes.Platform{}) {
		host = mediatypes.Host()
	}
	e, err := v.Select(host)
	if err != nil {
		return nil, err
	}
	a, err := Fetch(ctx, src, e)
	if err != nil {
		return nil, err
	}
	return PullArtifact(ctx, src, v, a, opts)
}

// PullArtifact is Pull of a build the caller already selected and fetched
// (one of v's): its manifest is not read again.
func PullArtifact(ctx context.Context, src content.Fetcher, v *Version, a *Artifact, opts PullOptions) (*PullResult, error) {
	dir, file := opts.Output, ""
	if dir == "" {
		dir = "."
	}
	if strings.HasSuffix(strings.ToLower(dir), ".mcpb") {
		dir, file = filepath.Dir(dir), dir
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, ".mpak-pull-*.partial")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name()) // a no-op once it is moved into place
	m, err := func() (*mcpb.Manifest, error) {
		defer tmp.Close()
		if err := FetchBundle(ctx, src, a.Layer, tmp, opts.Progress); err != nil {
			return nil, err
		}
		if err := tmp.Chmod(0o644); err != nil {
			return nil, err
		}
		return checkBundle(tmp.Name(), a, opts.Limits)
	}()
	if err != nil {
		return nil, err
	}
	if file == "" {
		file = filepath.Join(dir, FileName(m.Name, m.Version, a.Entry.Platform))
	}
	if err := place(tmp.Name(), file, a.Layer, opts.Force); err != nil {
		return nil, err
	}
	return &PullResult{Version: v, Artifact: a, Path: file}, nil
}

// place moves tmp to path. Without force it links, which fails when path
// exists (as a file, a directory or a dangling link) instead of replacing
// it, and accepts an existing regular file that already holds the same
// bytes (pulling a version twice is not an error); with force it renames,
// which replaces a link itself rather than writing where it points.
func place(tmp, path string, layer ocispec.Descriptor, force bool) error {
	if force {
		if st, err := os.Lstat(path); err == nil && st.IsDir() {
			return fmt.Errorf("%s is a directory: give a file path ending in .mcpb with -o", path)
		}
		return os.Rename(tmp, path)
	}
	err := os.Link(tmp, path)
	if errors.Is(err, fs.ErrExist) {
		if sameContent(path, layer) {
			return nil
		}
		return fmt.Errorf("%s: %w: pass --force to replace it, or -o to write elsewhere", path, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// sameContent reports whether path is a regular file (not a link) whose
// bytes are layer's.
func sameContent(path string, layer ocispec.Descriptor) bool {
	st, err := os.Lstat(path)
	if err != nil || !st.Mode().IsRegular() || st.Size() != layer.Size || layer.Digest.Validate() != nil {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	v := layer.Digest.Verifier()
	_, err = io.Copy(v, f)
	return err == nil && v.Verified()
}

// checkBundle opens the downloaded zip with the safety limits and, when the
// config is ours, checks that it is the manifest.json inside the bundle: an
// index that advertises one server and ships another is refused.
func checkBundle(path string, a *Artifact, limits mcpb.Limits) (*mcpb.Manifest, error) {
	opts := mcpb.OpenOptions{Limits: limits}
	if a.Layer.Digest.Algorithm() == digest.SHA256 {
		opts.VerifiedSHA256 = a.Layer.Digest.Encoded() // FetchBundle just checked it
	}
	arc, err := mcpb.Open(path, opts)
	if err != nil {
		return nil, fmt.Errorf("downloaded bundle %s: %w", a.Layer.Digest, err)
	}
	defer arc.Close()
	if a.Manifest.Config.MediaType == mediatypes.Config && !bytes.Equal(arc.Manifest.Raw, a.Config) {
		return nil, fmt.Errorf("bundle %s: its manifest.json differs from the config %s the registry lists: refusing a tampered or mis-pushed version",
			a.Layer.Digest, a.Manifest.Config.Digest)
	}
	return arc.Manifest, nil
}
