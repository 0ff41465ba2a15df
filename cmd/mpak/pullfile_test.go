package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/internal/cli"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// pushTitled pushes data as the bundle layer of repo:tag under the title
// a hostile publisher chose, the way `oras push` would.
func pushTitled(t *testing.T, host, repo, tag, title string, data []byte) {
	t.Helper()
	ctx := context.Background()
	r, err := remote.NewRepository(host + "/" + repo)
	if err != nil {
		t.Fatal(err)
	}
	r.PlainHTTP = true
	layer := content.NewDescriptorFromBytes(mediatypes.Bundle, data)
	layer.Annotations = map[string]string{ocispec.AnnotationTitle: title}
	if err := r.Push(ctx, layer, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	desc, err := oras.PackManifest(ctx, r, oras.PackManifestVersion1_1, mediatypes.ArtifactType,
		oras.PackManifestOptions{Layers: []ocispec.Descriptor{layer}, ManifestAnnotations: map[string]string{ocispec.AnnotationCreated: "2026-01-01T00:00:00Z"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Tag(ctx, desc, tag); err != nil {
		t.Fatal(err)
	}
}

// TestPullFileNames: the publisher never names the file mpak writes, and
// nothing already there is replaced without --force.
func TestPullFileNames(t *testing.T) {
	host := registrytest.Distribution(t)
	e := isolate(t, host)
	example := exampleDir(t, "1.0.0")
	packed := filepath.Join(t.TempDir(), "hello.mcpb")
	e.ok(t, "bundle", "pack", example, "-o", packed)
	bundleBytes, err := os.ReadFile(packed)
	if err != nil {
		t.Fatal(err)
	}
	pushTitled(t, host, "example/hello", "1.0.0", ".bashrc", bundleBytes)
	home := t.TempDir()
	t.Chdir(home) // pull writes into the working directory: this test stays serial
	bashrc := []byte("export PS1='$ '\n")
	must(t, os.WriteFile(".bashrc", bashrc, 0o644))

	// The layer's title is ignored: the name comes from manifest.json.
	p := decode[cli.PullOutput](t, e.ok(t, "bundle", "pull", "@example/hello@1.0.0", "--json"))
	if filepath.Base(p.Path) != "hello-1.0.0.mcpb" {
		t.Errorf("pulled to %s, want hello-1.0.0.mcpb", p.Path)
	}
	if b, _ := os.ReadFile(".bashrc"); !bytes.Equal(b, bashrc) {
		t.Fatalf(".bashrc was replaced by the pull: %q", b)
	}
	// The same bytes again: nothing to replace, no error.
	e.ok(t, "bundle", "pull", "@example/hello@1.0.0")

	// Something else under that name is kept without --force.
	must(t, os.WriteFile("hello-1.0.0.mcpb", []byte("mine"), 0o644))
	_, errOut, code := e.mpak(t, "bundle", "pull", "@example/hello@1.0.0")
	if code == 0 || !strings.Contains(errOut, "--force") {
		t.Errorf("pull over another file: exit %d, %q; want a refusal naming --force", code, errOut)
	}
	if b, _ := os.ReadFile("hello-1.0.0.mcpb"); string(b) != "mine" {
		t.Errorf("the existing file was replaced: %d bytes", len(b))
	}
	e.ok(t, "bundle", "pull", "@example/hello@1.0.0", "--force")
	if b, _ := os.ReadFile("hello-1.0.0.mcpb"); !bytes.Equal(b, bundleBytes) {
		t.Errorf("--force did not write the bundle")
	}

	// A planted link: refused, and --force replaces the link itself.
	target := filepath.Join(t.TempDir(), "elsewhere")
	must(t, os.WriteFile(target, []byte("precious"), 0o644))
	out := t.TempDir()
	link := filepath.Join(out, "hello-1.0.0.mcpb")
	must(t, os.Symlink(target, link))
	if _, errOut, code := e.mpak(t, "bundle", "pull", "@example/hello@1.0.0", "-o", out); code == 0 || !strings.Contains(errOut, "exists") {
		t.Errorf("pull onto a planted link: exit %d, %q", code, errOut)
	}
	e.ok(t, "bundle", "pull", "@example/hello@1.0.0", "-o", out, "--force")
	if st, err := os.Lstat(link); err != nil || !st.Mode().IsRegular() {
		t.Errorf("after --force the link is %v, %v; want a regular file", st.Mode(), err)
	}
	if b, _ := os.ReadFile(target); string(b) != "precious" {
		t.Errorf("--force wrote through the link into its target: %q", b)
	}

	// A shell script with the bundle behind it, titled .bashrc: refused,
	// nothing written.
	polyglot := append([]byte("echo owned >&2\n"), bundleBytes...)
	pushTitled(t, host, "example/evil", "1.0.0", ".bashrc", polyglot)
	if _, errOut, code := e.mpak(t, "bundle", "pull", host+"/example/evil:1.0.0"); code == 0 || !strings.Contains(errOut, "bytes before the zip") {
		t.Errorf("pull of a polyglot: exit %d, %q; want a refusal naming the bytes before the zip", code, errOut)
	}
	if b, _ := os.ReadFile(".bashrc"); !bytes.Equal(b, bashrc) {
		t.Fatalf(".bashrc was replaced by the polyglot: %q", b)
	}

	// -o FILE names the file explicitly.
	named := filepath.Join(t.TempDir(), "weather.mcpb")
	if p := decode[cli.PullOutput](t, e.ok(t, "bundle", "pull", "@example/hello@1.0.0", "-o", named, "--json")); p.Path != named {
		t.Errorf("-o %s wrote %s", named, p.Path)
	}
	if entries, _ := os.ReadDir(home); len(entries) != 2 {
		t.Errorf("the working directory holds %d entries, want .bashrc and hello-1.0.0.mcpb (no leftovers)", len(entries))
	}
}
