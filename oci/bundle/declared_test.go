package bundle_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/file"

	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// A version pushed by a plain `oras push` (no mcpb config, the .mcpb as an
// ordinary layer) still declares its name and version: read out of the
// zip by byte ranges, never the whole file.
func TestReadDeclaredPlainOrasPush(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	repo := repository(t, host, "acme/hello")
	path := writeBundle(t, "hello", "1.4.0", strings.Repeat("padding ", 64<<10))

	fs, err := file.New(t.TempDir())
	must(t, err)
	defer fs.Close()
	layer, err := fs.Add(ctx, "hello.mcpb", "application/vnd.oci.image.layer.v1.tar", path)
	must(t, err)
	root, err := oras.PackManifest(ctx, fs, oras.PackManifestVersion1_1, "application/vnd.example+type",
		oras.PackManifestOptions{Layers: []ocispec.Descriptor{layer}})
	must(t, err)
	must(t, fs.Tag(ctx, root, "1.4.0"))
	_, err = oras.Copy(ctx, fs, "1.4.0", repo, "1.4.0", oras.DefaultCopyOptions)
	must(t, err)

	v, err := bundle.Resolve(ctx, repo, "1.4.0")
	must(t, err)
	d, err := bundle.ReadDeclared(ctx, repo, v, nil)
	must(t, err)
	if d.Manifest.Name != "hello" || d.Manifest.Version != "1.4.0" {
		t.Fatalf("declared %s@%s, want hello@1.4.0", d.Manifest.Name, d.Manifest.Version)
	}
	if !bytes.Contains(d.ManifestJSON, []byte(`"1.4.0"`)) {
		t.Errorf("manifest.json %s", d.ManifestJSON)
	}
	info, err := os.Stat(path)
	must(t, err)
	if d.Artifacts[0].Layer.Size != info.Size() || d.Artifacts[0].Layer.Digest != digest.Digest("sha256:"+sha256File(t, path)) {
		t.Errorf("layer %+v, want the file", d.Artifacts[0].Layer)
	}
	if !bundle.IsBundleManifest(&d.Artifacts[0].Manifest) {
		t.Error("IsBundleManifest(a manifest with a .mcpb titled layer) = false")
	}
}
