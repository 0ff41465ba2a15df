package bundle_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	gremote "github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/memory"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/bundle/bundletest"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// pushTool publishes a three-build version and returns the repository.
func pushTool(t *testing.T, host string) (*remote.Repository, *bundle.Plan) {
	t.Helper()
	repo := repository(t, host, "acme/interop")
	plan, err := bundle.Prepare([]bundle.File{
		{Path: writeBundle(t, "interop", "1.4.0", "la"), Platform: mediatypes.Platform{OS: "linux", Arch: "amd64"}},
		{Path: writeBundle(t, "interop", "1.4.0", "da"), Platform: mediatypes.Platform{OS: "darwin", Arch: "arm64"}},
		{Path: writeBundle(t, "interop", "1.4.0", "un"), Platform: mediatypes.AnyPlatform},
	}, bundle.PrepareOptions{})
	must(t, err)
	_, err = bundle.Push(ctx, repo, plan, "1.4.0", bundle.PushOptions{})
	must(t, err)
	return repo, plan
}

// oras-go's own platform selection picks our darwin/arm64 manifest.
func TestOrasCopySelectsPlatform(t *testing.T) {
	t.Parallel()
	repo, plan := pushTool(t, registrytest.Distribution(t))
	opts := oras.DefaultCopyOptions
	opts.WithTargetPlatform(&ocispec.Platform{OS: "darwin", Architecture: "arm64"})
	store := memory.New()
	desc, err := oras.Copy(ctx, repo, "1.4.0", store, "copied", opts)
	must(t, err)
	var want bundle.Build
	for _, b := range plan.Builds {
		if b.File.Platform.String() == "darwin/arm64" {
			want = b
		}
	}
	if desc.Digest != want.Descriptor.Digest {
		t.Fatalf("oras.Copy selected %s, want the darwin/arm64 manifest %s", desc.Digest, want.Descriptor.Digest)
	}
	if ok, _ := store.Exists(ctx, want.Layer); !ok {
		t.Fatal("oras.Copy did not copy the .mcpb layer")
	}
}

// go-containerregistry lists the index with platforms and artifactType.
func TestGGCRReadsIndex(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	_, plan := pushTool(t, host)
	r, err := name.ParseReference(host+"/acme/interop:1.4.0", name.Insecure)
	must(t, err)
	idx, err := gremote.Index(r)
	must(t, err)
	im, err := idx.IndexManifest()
	must(t, err)
	d, _ := idx.Digest()
	if d.String() != plan.Index.Digest.String() {
		t.Fatalf("ggcr index digest %s, pushed %s", d, plan.Index.Digest)
	}
	var platforms []string
	for _, m := range im.Manifests {
		if m.Platform != nil {
			platforms = append(platforms, m.Platform.String())
		}
	}
	if len(im.Manifests) != 3 || strings.Join(platforms, ",") != "darwin/arm64,linux/amd64" {
		t.Fatalf("ggcr sees manifests %+v", im.Manifests)
	}
	raw, err := idx.RawManifest()
	must(t, err)
	if !bytes.Contains(raw, []byte(`"artifactType":"`+mediatypes.ArtifactType+`"`)) {
		t.Errorf("index lacks artifactType: %s", raw)
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	must(t, err)
	layers, err := img.Layers()
	must(t, err)
	if len(layers) != 1 {
		t.Fatalf("platform manifest has %d layers, want 1", len(layers))
	}
	mt, _ := layers[0].MediaType()
	if string(mt) != mediatypes.Bundle {
		t.Errorf("layer media type %s", mt)
	}
}

// An artifact pushed with plain oras-go (one manifest, no index), as a CI
// pipeline using oras might publish it, is read by mpak.
func TestReadsPlainOrasPush(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	repo := repository(t, host, "acme/plain")
	file := writeBundle(t, "plain", "0.9.0", "x")
	data, err := os.ReadFile(file)
	must(t, err)

	for _, tc := range []struct {
		tag        string
		config     *ocispec.Descriptor
		layerType  string
		wantConfig bool
	}{
		{tag: "0.9.0", layerType: mediatypes.Bundle, wantConfig: true},
		// What `oras push repo:tag bundle.mcpb` writes: empty config, generic layer.
		{tag: "0.9.1", layerType: "application/vnd.oci.image.layer.v1.tar"},
	} {
		t.Run(tc.tag, func(t *testing.T) {
			layer, err := oras.PushBytes(ctx, repo, tc.layerType, data)
			must(t, err)
			layer.Annotations = map[string]string{ocispec.AnnotationTitle: "plain.mcpb"}
			opts := oras.PackManifestOptions{Layers: []ocispec.Descriptor{layer},
				ManifestAnnotations: map[string]string{ocispec.AnnotationCreated: "2024-01-01T00:00:00Z"}}
			artifactType := "application/vnd.unknown.artifact.v1"
			if tc.wantConfig {
				// The real manifest.json of the file, so the consistency check passes.
				arc := openArchive(t, file)
				cfg, err := oras.PushBytes(ctx, repo, mediatypes.Config, arc)
				must(t, err)
				opts.ConfigDescriptor = &cfg
				artifactType = mediatypes.ArtifactType
			}
			desc, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, artifactType, opts)
			must(t, err)
			must(t, repo.Tag(ctx, desc, tc.tag))

			r, err := ref.Parse(host+"/acme/plain:"+tc.tag, ref.Defaults{})
			must(t, err)
			reference, err := bundle.ResolveReference(ctx, repo, r)
			must(t, err)
			res, err := bundle.Pull(ctx, repo, bundletest.Resolve(t, repo, reference), bundle.PullOptions{Output: t.TempDir()})
			if err != nil {
				t.Fatalf("mpak cannot read the oras push: %v", err)
			}
			if res.Artifact.Entry.Platform.String() != "any" || res.Version.Index != nil {
				t.Errorf("single manifest read as %s (index %v)", res.Artifact.Entry.Platform, res.Version.Index != nil)
			}
			if sha256File(t, res.Path) != sha256File(t, file) {
				t.Error("pulled bytes differ")
			}
		})
	}
}

// openArchive returns the manifest.json bytes inside a bundle.
func openArchive(t *testing.T, path string) []byte {
	t.Helper()
	a, err := mcpb.Open(path, mcpb.OpenOptions{})
	must(t, err)
	defer a.Close()
	return a.Manifest.Raw
}

func TestResolveVersions(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	repo := repository(t, host, "acme/versions")
	digests := map[string]digest.Digest{}
	// Pushed out of order: "latest" must be the highest release, not the newest push.
	for _, v := range []string{"1.2.0", "2.0.0-rc.1", "1.10.1", "1.0.0"} {
		plan, err := bundle.Prepare([]bundle.File{{Path: writeBundle(t, "versions", v, v)}}, bundle.PrepareOptions{})
		must(t, err)
		_, err = bundle.Push(ctx, repo, plan, v, bundle.PushOptions{})
		must(t, err)
		digests[v] = plan.Index.Digest
	}
	d := ref.Defaults{Registry: host}
	for query, want := range map[string]string{
		"@acme/versions":                              "1.10.1",
		"@acme/versions@latest":                       "1.10.1",
		"@acme/versions@^1.2":                         "1.10.1",
		"@acme/versions@~1.2.0":                       "1.2.0",
		"@acme/versions@>=1.0.0 <1.2.0":               "1.0.0",
		"@acme/versions@1.0.0":                        "1.0.0",
		"@acme/versions@2.0.0-rc.1":                   "2.0.0-rc.1",
		"@acme/versions@>=2.0.0-rc.0":                 "2.0.0-rc.1",
		host + "/acme/versions:1.2.0":                 "1.2.0",
		host + "/acme/versions@^1.0":                  "1.10.1",
		"@acme/versions@" + digests["1.2.0"].String(): digests["1.2.0"].String(),
	} {
		r, err := ref.Parse(query, d)
		if err != nil {
			t.Fatalf("parse %q: %v", query, err)
		}
		if r.RepositoryRef() != host+"/acme/versions" {
			t.Fatalf("%q maps to %s", query, r.RepositoryRef())
		}
		got, err := bundle.ResolveReference(ctx, repo, r)
		if err != nil {
			t.Fatalf("resolve %q: %v", query, err)
		}
		if got != want {
			t.Errorf("resolve %q = %s, want %s", query, got, want)
		}
	}
	r, _ := ref.Parse(host+"/acme/versions@^3", ref.Defaults{})
	if _, err := bundle.ResolveReference(ctx, repo, r); err == nil || !strings.Contains(err.Error(), "1.10.1") {
		t.Fatalf("no-match error %v does not list the available versions", err)
	}
}

// corruptingFetcher flips a byte of the bundle layer in transit: a fault a
// conforming registry never produces, hence the wrapper.
type corruptingFetcher struct {
	*remote.Repository
}

func (c corruptingFetcher) Fetch(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	rc, err := c.Repository.Fetch(ctx, d)
	if err != nil || d.MediaType != mediatypes.Bundle {
		return rc, err
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return nil, err
	}
	b[len(b)/2] ^= 0xff
	return io.NopCloser(bytes.NewReader(b)), nil
}

func TestPullRejectsCorruptBlob(t *testing.T) {
	t.Parallel()
	repo, _ := pushTool(t, registrytest.Distribution(t))
	out := t.TempDir()
	_, err := bundle.Pull(ctx, corruptingFetcher{repo}, bundletest.Resolve(t, corruptingFetcher{repo}, "1.4.0"), bundle.PullOptions{Output: out})
	if err == nil || !strings.Contains(err.Error(), "verification") {
		t.Fatalf("corrupt blob: err = %v, want a verification error", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Fatalf("a failed pull left %v behind", entries)
	}
}

// A manifest whose config lies about the bundle inside is refused.
func TestPullRejectsConfigMismatch(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	repo := repository(t, host, "acme/liar")
	data, err := os.ReadFile(writeBundle(t, "liar", "1.0.0", ""))
	must(t, err)
	layer, err := oras.PushBytes(ctx, repo, mediatypes.Bundle, data)
	must(t, err)
	fake, _ := json.Marshal(map[string]any{"manifest_version": "0.3", "name": "innocent", "version": "1.0.0"})
	cfg, err := oras.PushBytes(ctx, repo, mediatypes.Config, fake)
	must(t, err)
	desc, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, mediatypes.ArtifactType, oras.PackManifestOptions{
		Layers: []ocispec.Descriptor{layer}, ConfigDescriptor: &cfg,
		ManifestAnnotations: map[string]string{ocispec.AnnotationCreated: "2024-01-01T00:00:00Z"}})
	must(t, err)
	must(t, repo.Tag(ctx, desc, "1.0.0"))
	out := t.TempDir()
	if _, err := bundle.Pull(ctx, repo, bundletest.Resolve(t, repo, "1.0.0"), bundle.PullOptions{Output: out}); err == nil || !strings.Contains(err.Error(), "differs") {
		t.Fatalf("config mismatch: err = %v", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Fatalf("a refused pull left %v behind", entries)
	}
}
