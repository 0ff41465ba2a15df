package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	orasremote "oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// mpakd runs a maintenance command and returns what it printed.
func mpakd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd := rootCommand()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// pushDockerImage puts a Docker schema 2 image (what docker push writes)
// under repository:tag.
func pushDockerImage(t *testing.T, host, repository, tag string) {
	t.Helper()
	repo := repoAt(t, host, repository)
	ctx := context.Background()
	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	cd := ocispec.Descriptor{MediaType: "application/vnd.docker.container.image.v1+json", Digest: digest.FromBytes(config), Size: int64(len(config))}
	if err := repo.Push(ctx, cd, bytes.NewReader(config)); err != nil {
		t.Fatal(err)
	}
	m, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
		"config": cd, "layers": []any{}})
	md := ocispec.Descriptor{MediaType: "application/vnd.docker.distribution.manifest.v2+json", Digest: digest.FromBytes(m), Size: int64(len(m))}
	if err := repo.PushReference(ctx, md, bytes.NewReader(m), tag); err != nil {
		t.Fatal(err)
	}
}

// TestSyncReindexAndFsckSayWhy: a registry that mpakd fronts holds, beside
// good versions, one of them pushed as a plain `oras push` makes it, a
// Docker image under a version tag (listed first) and a bundle under
// another bundle's name.
// sync and reindex index what can be indexed and say why for every other
// tag, without stopping; fsck reports every difference and exits non-zero
// until reindex has pruned what the registry deleted.
func TestSyncReindexAndFsckSayWhy(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	upHost := registrytest.Distribution(t)
	data := filepath.Join(t.TempDir(), "data")
	flags := []string{"--upstream", "http://" + upHost, "--data", data}

	pushDockerImage(t, upHost, "acme/weather", "0.9.0")
	pushVersion(t, upHost, "acme/weather", "weather", "1.0.0")
	pushVersion(t, upHost, "acme/weather", "weather", "1.1.0")
	pushMismatched(t, upHost, "acme/weather", "storm", "2.0.0")
	pushPlainOras(t, upHost, "acme/weather", "weather", "1.2.0")

	out, err := mpakd(t, append([]string{"sync", "acme/weather"}, flags...)...)
	if err != nil {
		t.Fatalf("sync: %v\n%s", err, out)
	}
	for _, want := range []string{
		"indexed 3 versions in 1 repositories",
		`skipped: acme/weather:2.0.0 is not publishable there: manifest.json names the bundle "storm"`,
		"warning: skipped, not a bundle: acme/weather:0.9.0 holds a application/vnd.docker.distribution.manifest.v2+json, not an OCI index or manifest of bundle builds",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("sync does not say %q:\n%s", want, out)
		}
	}

	out, err = mpakd(t, append([]string{"fsck"}, flags...)...)
	if err == nil || !strings.Contains(out, "acme/weather:2.0.0: mpak can pull it but the catalog cannot list it") {
		t.Errorf("fsck: %v\n%s\nwant exit non-zero naming the mislabelled bundle", err, out)
	}

	// The registry's operator deletes 1.1.0, and the mislabelled bundle,
	// behind mpakd's back.
	deleteTag(t, upHost, "acme/weather", "1.1.0")
	deleteTag(t, upHost, "acme/weather", "2.0.0")
	out, err = mpakd(t, append([]string{"fsck"}, flags...)...)
	if err == nil || !strings.Contains(out, "acme/weather:1.1.0: the catalog lists version 1.1.0") || !strings.Contains(out, "registry has no tag 1.1.0") {
		t.Errorf("fsck after a delete: %v\n%s\nwant the missing 1.1.0 reported", err, out)
	}
	out, err = mpakd(t, append([]string{"reindex"}, flags...)...)
	if err != nil || !strings.Contains(out, "pruned acme/weather@1.1.0") || !strings.Contains(out, "indexed 3 versions in 2 repositories") {
		t.Errorf("reindex: %v\n%s\nwant 1.1.0 pruned, and 1.0.0 and elsewhere/storm indexed past the Docker image listed first", err, out)
	}
	if out, err = mpakd(t, append([]string{"fsck"}, flags...)...); err != nil || !strings.Contains(out, "agrees") {
		t.Errorf("fsck after reindex: %v\n%s", err, out)
	}
}

// pushPlainOras pushes a bundle as `oras push repo:version x.mcpb` does: one
// layer of oras's default media type, titled with the file's name, and an
// empty config.
func pushPlainOras(t *testing.T, host, repository, name, version string) {
	t.Helper()
	ctx := context.Background()
	repo := repoAt(t, host, repository)
	b, err := os.ReadFile(mcpbtest.Pack(t, name, version, "plain"))
	if err != nil {
		t.Fatal(err)
	}
	layer := ocispec.Descriptor{MediaType: "application/vnd.oci.image.layer.v1.tar", Digest: digest.FromBytes(b), Size: int64(len(b)),
		Annotations: map[string]string{ocispec.AnnotationTitle: name + ".mcpb"}}
	if err := repo.Push(ctx, layer, bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	root, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, "application/vnd.unknown.artifact.v1", oras.PackManifestOptions{Layers: []ocispec.Descriptor{layer}})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Tag(ctx, root, version); err != nil {
		t.Fatal(err)
	}
}

// pushMismatched puts a bundle named name under repository:version, which
// mpak (and mpakd) would refuse: pushed as its own name, then copied.
func pushMismatched(t *testing.T, host, repository, name, version string) {
	t.Helper()
	pushVersion(t, host, "elsewhere/"+name, name, version)
	src, dst := repoAt(t, host, "elsewhere/"+name), repoAt(t, host, repository)
	if _, err := oras.Copy(context.Background(), src, version, dst, version, oras.DefaultCopyOptions); err != nil {
		t.Fatal(err)
	}
}

func deleteTag(t *testing.T, host, repository, tag string) {
	t.Helper()
	repo := repoAt(t, host, repository)
	desc, err := repo.Resolve(context.Background(), tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Delete(context.Background(), desc); err != nil {
		t.Fatal(err)
	}
}

func repoAt(t *testing.T, host, repository string) *orasremote.Repository {
	t.Helper()
	r, _ := ref.Parse(host+"/"+repository, ref.Defaults{})
	repo, err := connect.Options{}.Repository(r)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

// TestReindexAcceptRegistry: a tag moved on the registry behind mpakd is
// reported tampered by reindex, which keeps the published digest, until an
// operator accepts the registry's tags with --accept-registry.
func TestReindexAcceptRegistry(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	upHost := registrytest.Distribution(t)
	flags := []string{"--upstream", "http://" + upHost, "--data", filepath.Join(t.TempDir(), "data")}
	pushVersion(t, upHost, "acme/weather", "weather", "1.0.0")
	if out, err := mpakd(t, append([]string{"sync", "acme/weather"}, flags...)...); err != nil || !strings.Contains(out, "indexed 1 versions") {
		t.Fatalf("sync: %v\n%s", err, out)
	}
	// Other bytes of weather 1.0.0, copied over the tag on the registry.
	plan, err := bundle.Prepare([]bundle.File{{Path: mcpbtest.Pack(t, "weather", "1.0.0", "moved"), Platform: mediatypes.AnyPlatform}}, bundle.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src := repoAt(t, upHost, "elsewhere/weather")
	if _, err := bundle.Push(context.Background(), src, plan, "1.0.0", bundle.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := oras.Copy(context.Background(), src, "1.0.0", repoAt(t, upHost, "acme/weather"), "1.0.0", oras.DefaultCopyOptions); err != nil {
		t.Fatal(err)
	}
	moved := plan.Index.Digest.String()
	out, err := mpakd(t, append([]string{"reindex"}, flags...)...)
	if err != nil || !strings.Contains(out, "tampered acme/weather:1.0.0") || !strings.Contains(out, "now names "+moved) {
		t.Fatalf("reindex of a moved tag: %v\n%s\nwant it reported tampered", err, out)
	}
	if out, err := mpakd(t, append([]string{"fsck", "acme/weather"}, flags...)...); err == nil {
		t.Fatalf("fsck with a tampered version passed:\n%s", out)
	}
	if out, err := mpakd(t, append([]string{"reindex", "--accept-registry"}, flags...)...); err != nil || strings.Contains(out, "tampered") {
		t.Fatalf("reindex --accept-registry: %v\n%s", err, out)
	}
	if out, err := mpakd(t, append([]string{"fsck", "acme/weather"}, flags...)...); err != nil {
		t.Fatalf("fsck after accepting the registry: %v\n%s", err, out)
	}
}
