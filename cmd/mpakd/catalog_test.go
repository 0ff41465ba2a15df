package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/bundle/bundletest"
	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
)

func pushVersion(t *testing.T, addr, repository, name, version string) {
	t.Helper()
	file := mcpbtest.Pack(t, name, version, version)
	plan, err := bundle.Prepare([]bundle.File{{Path: file, Platform: mediatypes.AnyPlatform}}, bundle.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := ref.Parse(addr+"/"+repository, ref.Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	repo, err := connect.Options{}.Repository(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Push(context.Background(), repo, plan, version, bundle.PushOptions{}); err != nil {
		t.Fatal(err)
	}
}

// A push is in the catalog when it returns; reindex after losing the
// database brings the catalog back from the registry.
func TestPushIsIndexedAndReindexRestores(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	data := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	stop := start(t, "--data", data, "--addr", addr)
	pushVersion(t, addr, "acme/weather", "weather", "1.0.0")
	pushVersion(t, addr, "acme/weather", "weather", "1.2.0")
	pushVersion(t, addr, "acme/clock", "clock", "0.1.0")

	c := &catalogapi.Client{BaseURL: "http://" + addr}
	res, err := c.Search(context.Background(), catalogapi.Query{Text: "weather"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 1 || res.Bundles[0].Repository != "acme/weather" || res.Bundles[0].Version != "1.2.0" {
		t.Fatalf("search after push: %+v", res)
	}
	stop()

	// Lose the catalog, then rebuild it from the registry.
	if err := os.Remove(filepath.Join(data, "index.db")); err != nil {
		t.Fatal(err)
	}
	cmd := rootCommand()
	cmd.SetArgs([]string{"reindex", "--data", data})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("reindex: %v", err)
	}
	stop = start(t, "--data", data, "--addr", addr)
	defer stop()
	all, err := c.Search(context.Background(), catalogapi.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if all.Total != 2 {
		t.Fatalf("after reindex %d bundles, want 2: %+v", all.Total, all)
	}
	b, err := c.Bundle(context.Background(), "acme/weather")
	if err != nil {
		t.Fatal(err)
	}
	if b.Latest != "1.2.0" || len(b.Versions) != 2 || len(b.Tools) != 2 {
		t.Fatalf("bundle after reindex: latest %s, %d versions, tools %v", b.Latest, len(b.Versions), b.Tools)
	}
}

// Each pull of a version is exactly one download, whatever else the client
// asked for (HEADs, manifests, the config).
func TestPullsAreCountedExactly(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	data := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	stop := start(t, "--data", data, "--addr", addr)
	pushVersion(t, addr, "acme/counted", "counted", "1.0.0")
	r, _ := ref.Parse(addr+"/acme/counted", ref.Defaults{})
	repo, err := connect.Options{}.Repository(r)
	if err != nil {
		t.Fatal(err)
	}
	const pulls = 5
	for i := 0; i < pulls; i++ {
		if _, err := bundle.Pull(context.Background(), repo, bundletest.Resolve(t, repo, "1.0.0"), bundle.PullOptions{Output: t.TempDir()}); err != nil {
			t.Fatal(err)
		}
	}
	// Metadata reads are not downloads.
	if _, err := bundle.Resolve(context.Background(), repo, "1.0.0"); err != nil {
		t.Fatal(err)
	}
	stop() // flushes the counter

	stop = start(t, "--data", data, "--addr", addr)
	defer stop()
	b, err := (&catalogapi.Client{BaseURL: "http://" + addr}).Bundle(context.Background(), "acme/counted")
	if err != nil {
		t.Fatal(err)
	}
	if b.Downloads != pulls || len(b.Versions) != 1 || b.Versions[0].Downloads != pulls {
		t.Fatalf("downloads: bundle %d, versions %+v; want %d", b.Downloads, b.Versions, pulls)
	}
}

// mpakd answers the referrers API, so oras-go attaches without fallback tags.
func TestReferrersAPI(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	addr := freeAddr(t)
	stop := start(t, "--data", filepath.Join(t.TempDir(), "data"), "--addr", addr)
	defer stop()
	pushVersion(t, addr, "acme/signed", "signed", "1.0.0")
	r, _ := ref.Parse(addr+"/acme/signed", ref.Defaults{})
	repo, err := connect.Options{}.Repository(r)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	subject, err := repo.Resolve(ctx, "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	desc, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, mediatypes.Scan,
		oras.PackManifestOptions{Subject: &subject, ManifestAnnotations: map[string]string{ocispec.AnnotationCreated: "2026-01-01T00:00:00Z"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []ocispec.Descriptor
	if err := repo.Referrers(ctx, subject, mediatypes.Scan, func(ds []ocispec.Descriptor) error {
		got = append(got, ds...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Digest != desc.Digest || got[0].ArtifactType != mediatypes.Scan {
		t.Fatalf("referrers = %+v, want the scan report %s", got, desc.Digest)
	}
	// The search still shows one version: the fallback index is not a version.
	res, err := (&catalogapi.Client{BaseURL: "http://" + addr}).Bundle(ctx, "acme/signed")
	if err != nil || len(res.Versions) != 1 {
		t.Fatalf("bundle after attaching: %+v, %v", res, err)
	}
}
