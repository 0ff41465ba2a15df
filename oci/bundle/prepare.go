package bundle

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mediatypes"
)

// File is one build of a version to publish.
type File struct {
	Path     string
	Platform mediatypes.Platform
}

// ParseFileArg reads the oras-style "FILE[:os/arch]" argument. A colon
// followed by something that is not a platform stays part of the path.
func ParseFileArg(arg string) (File, error) {
	if i := strings.LastIndex(arg, ":"); i > 0 && i < len(arg)-1 {
		spec := arg[i+1:]
		if !strings.ContainsAny(spec, `\.`) {
			p, err := mediatypes.ParsePlatform(spec)
			if err != nil {
				return File{}, fmt.Errorf("%s: %w", arg, err)
			}
			return File{Path: arg[:i], Platform: p}, nil
		}
	}
	return File{Path: arg, Platform: mediatypes.AnyPlatform}, nil
}

// PrepareOptions tunes what Prepare writes into the manifests.
type PrepareOptions struct {
	// Created overrides the created annotation (default: the newest file
	// time inside the bundle; never "now"). The CLI sets it from
	// SOURCE_DATE_EPOCH.
	Created time.Time
	// Annotations are added to the index and every manifest, e.g.
	// org.opencontainers.image.revision or io.modelcontextprotocol.server.name.
	Annotations map[string]string
	// Limits cap what reading each file may unpack (zero fields:
	// mcpb.DefaultLimits).
	Limits mcpb.Limits
}

// Build is one platform's manifest, ready to upload.
type Build struct {
	File     File
	Manifest *mcpb.Manifest
	Warnings []mcpb.Problem
	Layer    ocispec.Descriptor
	Config   ocispec.Descriptor
	// ConfigJSON is manifest.json verbatim; ManifestJSON the image manifest.
	ConfigJSON   []byte
	ManifestJSON []byte
	Descriptor   ocispec.Descriptor
	// Created is the time written into the created annotation.
	Created time.Time
}

// Plan is a whole version computed locally: pushing it uploads exactly these
// bytes, so its digests are known before anything leaves the machine.
type Plan struct {
	Name      string
	Version   string
	Builds    []Build
	IndexJSON []byte
	Index     ocispec.Descriptor
}

// Prepare reads and checks every file and builds the manifests and index.
// Files must declare the same name and version and distinct platforms;
// nothing is uploaded, so a mismatch is refused before any network traffic.
func Prepare(files []File, opts PrepareOptions) (*Plan, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("no bundle files given: pass at least one FILE.mcpb[:os/arch]")
	}
	plan := &Plan{}
	seen := map[string]string{}
	for _, f := range files {
		b, err := prepareBuild(f, opts)
		if err != nil {
			return nil, err
		}
		if plan.Name == "" {
			plan.Name, plan.Version = b.Manifest.Name, b.Manifest.Version
		} else if b.Manifest.Name != plan.Name || b.Manifest.Version != plan.Version {
			return nil, fmt.Errorf("%s declares %s@%s but %s declares %s@%s: all files of one push must be builds of the same name and version",
				f.Path, b.Manifest.Name, b.Manifest.Version, files[0].Path, plan.Name, plan.Version)
		}
		key := f.Platform.String()
		if prev, dup := seen[key]; dup {
			return nil, fmt.Errorf("%s and %s are both for platform %s: give each file a distinct :os/arch", prev, f.Path, key)
		}
		seen[key] = f.Path
		plan.Builds = append(plan.Builds, *b)
	}
	sort.SliceStable(plan.Builds, func(i, j int) bool {
		return platformOrder(plan.Builds[i].File.Platform) < platformOrder(plan.Builds[j].File.Platform)
	})

	first := plan.Builds[0]
	created := first.Created
	for _, b := range plan.Builds {
		if b.Created.After(created) {
			created = b.Created
		}
	}
	idx := ocispec.Index{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageIndex,
		ArtifactType: mediatypes.ArtifactType,
		Annotations:  versionAnnotations(first.Manifest, created, opts.Annotations),
	}
	for _, b := range plan.Builds {
		idx.Manifests = append(idx.Manifests, b.Descriptor)
	}
	var err error
	plan.IndexJSON, err = json.Marshal(idx)
	if err != nil {
		return nil, err
	}
	plan.Index = ocispec.Descriptor{
		MediaType:    ocispec.MediaTypeImageIndex,
		ArtifactType: mediatypes.ArtifactType,
		Digest:       digest.FromBytes(plan.IndexJSON),
		Size:         int64(len(plan.IndexJSON)),
	}
	return plan, nil
}

// platformOrder sorts specific builds first and the catch-all last, so the
// index reads the way selection works.
func platformOrder(p mediatypes.Platform) string {
	switch {
	case p.IsAny():
		return "2"
	case p.Arch == mediatypes.Any:
		return "1" + p.OS
	}
	return "0" + p.OS + "/" + p.Arch
}

func prepareBuild(f File, opts PrepareOptions) (*Build, error) {
	a, err := mcpb.Open(f.Path, mcpb.OpenOptions{RequireSemver: true, Limits: opts.Limits})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	defer a.Close()
	m := a.Manifest
	if err := checkPlatformAllowed(m, f.Platform); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	created := opts.Created.UTC().Truncate(time.Second)
	if opts.Created.IsZero() {
		created = createdTime(a)
	}
	b := &Build{File: f, Manifest: m, Warnings: a.Warnings, ConfigJSON: m.Raw, Created: created}
	b.Config = ocispec.Descriptor{
		MediaType: mediatypes.Config,
		Digest:    digest.FromBytes(m.Raw),
		Size:      int64(len(m.Raw)),
	}
	b.Layer = ocispec.Descriptor{
		MediaType:   mediatypes.Bundle,
		Digest:      digest.NewDigestFromEncoded(digest.SHA256, a.SHA256),
		Size:        a.Size,
		Annotations: map[string]string{ocispec.AnnotationTitle: mcpb.DefaultFileName(m, f.Platform)},
	}
	ann := versionAnnotations(m, created, opts.Annotations)
	if p := f.Platform; p.OCI() == nil {
		ann[mediatypes.AnnotationPlatform] = p.String()
	}
	man := ocispec.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: mediatypes.ArtifactType,
		Config:       b.Config,
		Layers:       []ocispec.Descriptor{b.Layer},
		Annotations:  ann,
	}
	if b.ManifestJSON, err = json.Marshal(man); err != nil {
		return nil, err
	}
	b.Descriptor = ocispec.Descriptor{
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: mediatypes.ArtifactType,
		Digest:       digest.FromBytes(b.ManifestJSON),
		Size:         int64(len(b.ManifestJSON)),
		Platform:     f.Platform.OCI(),
	}
	if f.Platform.OCI() == nil {
		b.Descriptor.Annotations = map[string]string{mediatypes.AnnotationPlatform: f.Platform.String()}
	}
	return b, nil
}

// checkPlatformAllowed refuses a build for an OS the manifest itself rules out.
func checkPlatformAllowed(m *mcpb.Manifest, p mediatypes.Platform) error {
	if m.Compatibility == nil || len(m.Compatibility.Platforms) == 0 || p.OS == mediatypes.Any || p.OS == "" {
		return nil
	}
	for _, os := range m.Compatibility.Platforms {
		if mediatypes.NormalizeOS(os) == p.OS {
			return nil
		}
	}
	return fmt.Errorf("pushed as %s but compatibility.platforms allows only %s: fix the :os/arch suffix or the manifest",
		p, strings.Join(m.Compatibility.Platforms, ", "))
}
