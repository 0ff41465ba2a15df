package guard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/embedded"
	"github.com/mpak-oci/mpak/registry/guard"
	"github.com/mpak-oci/mpak/registry/internal/keylock"
)

// fixture is distribution/v3 behind the guard, with a SQLite catalog the
// test fills by hand.
type fixture struct {
	host    string
	store   catalog.Store
	locks   *keylock.Locks
	publish []string // Published calls, "repo:tag"
}

func newFixture(t *testing.T, lockTimeout time.Duration) *fixture {
	t.Helper()
	reg, err := embedded.New(context.Background(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open("")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: store, locks: &keylock.Locks{}}
	h := guard.Middleware(reg, guard.Options{Repos: reg, Locker: f.locks, Catalog: store, LockTimeout: lockTimeout,
		Published: func(_ context.Context, repository, tag string) { f.publish = append(f.publish, repository+":"+tag) }})
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		reg.Close()
		store.Close()
	})
	f.host = strings.TrimPrefix(srv.URL, "http://")
	return f
}

func (f *fixture) repo(t *testing.T, name string) *remote.Repository {
	t.Helper()
	r, err := remote.NewRepository(f.host + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	r.PlainHTTP = true
	return r
}

// pushImage pushes a one-layer OCI image (no bundle) under tag.
func (f *fixture) pushImage(t *testing.T, name, tag, content string) (ocispec.Descriptor, error) {
	t.Helper()
	ctx := context.Background()
	repo := f.repo(t, name)
	layer := []byte(content)
	ld := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: digest.FromBytes(layer), Size: int64(len(layer))}
	cfg := []byte(`{}`)
	cd := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(cfg), Size: 2}
	for _, b := range []struct {
		d ocispec.Descriptor
		b []byte
	}{{ld, layer}, {cd, cfg}} {
		if err := repo.Push(ctx, b.d, bytes.NewReader(b.b)); err != nil {
			t.Fatal(err)
		}
	}
	m, _ := json.Marshal(ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest, Config: cd, Layers: []ocispec.Descriptor{ld}})
	md := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(m), Size: int64(len(m))}
	return md, repo.PushReference(ctx, md, bytes.NewReader(m), tag)
}

func put(t *testing.T, url, contentType string, body []byte) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// Container images live beside bundles: their tags move and they can be
// deleted, as in any registry. Only a repository that holds bundles
// reserves its semantic-version tags for bundles.
func TestOtherArtifactsAreTheRegistrys(t *testing.T) {
	f := newFixture(t, 0)
	if _, err := f.pushImage(t, "acme/app", "1.0.0", "one"); err != nil {
		t.Fatal(err)
	}
	second, err := f.pushImage(t, "acme/app", "1.0.0", "two")
	if err != nil {
		t.Fatalf("moving a container image's tag: %v", err)
	}
	if err := f.repo(t, "acme/app").Delete(context.Background(), second); err != nil {
		t.Fatalf("deleting a container image: %v", err)
	}
	if len(f.publish) != 0 {
		t.Errorf("images were indexed: %v", f.publish)
	}

	if err := f.store.PutVersion(context.Background(), &catalog.Version{Repository: "acme/hello", Version: "1.0.0", Tag: "1.0.0",
		Digest: digest.FromString("x").String()}); err != nil {
		t.Fatal(err)
	}
	_, err = f.pushImage(t, "acme/hello", "9.9.9", "an image")
	if err == nil || !strings.Contains(err.Error(), "holds MCP bundles") {
		t.Errorf("an image under a version tag of a bundle repository: %v, want refused", err)
	}
	if _, err := f.pushImage(t, "acme/hello", "latest-image", "an image"); err != nil {
		t.Errorf("an image under a tag that is no version: %v", err)
	}
}

// A version the catalog knows but the registry lost (deleted behind
// mpakd's back) is not published again with other bytes: its number is
// spent until an operator prunes it.
func TestVersionNumbersAreNotReused(t *testing.T) {
	f := newFixture(t, 0)
	if err := f.store.PutVersion(context.Background(), &catalog.Version{Repository: "acme/hello", Version: "1.0.0", Tag: "1.0.0",
		Digest: digest.FromString("the lost one").String()}); err != nil {
		t.Fatal(err)
	}
	plan, err := bundle.Prepare([]bundle.File{{Path: mcpbtest.Pack(t, "hello", "1.0.0", ""), Platform: mediatypes.AnyPlatform}}, bundle.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bundle.Push(context.Background(), f.repo(t, "acme/hello"), plan, "1.0.0", bundle.PushOptions{})
	if !errors.Is(err, bundle.ErrVersionExists) {
		t.Fatalf("republishing a lost version: %v, want refused as published", err)
	}
	if _, err := bundle.Push(context.Background(), f.repo(t, "acme/other"), mustPlan(t, "other", "1.0.0"), "1.0.0", bundle.PushOptions{}); err != nil {
		t.Fatalf("a new version: %v", err)
	}
	if len(f.publish) != 1 || f.publish[0] != "acme/other:1.0.0" {
		t.Errorf("published %v, want acme/other:1.0.0 once", f.publish)
	}
}

func mustPlan(t *testing.T, name, version string) *bundle.Plan {
	t.Helper()
	plan, err := bundle.Prepare([]bundle.File{{Path: mcpbtest.Pack(t, name, version, ""), Platform: mediatypes.AnyPlatform}}, bundle.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// Requests the guard cannot judge safely are refused with the reason:
// ?tag= pushes (tags the guard would not see), oversize manifests, and a
// version another push holds for longer than the client should wait.
func TestRefusals(t *testing.T) {
	f := newFixture(t, 100*time.Millisecond)
	plan := mustPlan(t, "hello", "1.0.0")
	ctx := context.Background()
	repo := f.repo(t, "acme/hello")
	for _, b := range plan.Builds {
		if err := repo.Push(ctx, b.Layer, bytes.NewReader(mustRead(t, b.File.Path))); err != nil {
			t.Fatal(err)
		}
		if err := repo.Push(ctx, b.Config, bytes.NewReader(b.ConfigJSON)); err != nil {
			t.Fatal(err)
		}
		if err := repo.Push(ctx, b.Descriptor, bytes.NewReader(b.ManifestJSON)); err != nil {
			t.Fatal(err)
		}
	}
	base := "http://" + f.host + "/v2/acme/hello/manifests/"
	if resp := put(t, base+plan.Index.Digest.String()+"?tag=1.0.0", ocispec.MediaTypeImageIndex, plan.IndexJSON); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("PUT with ?tag=: %s, want 400", resp.Status)
	}
	if resp := put(t, base+"1.0.0", ocispec.MediaTypeImageIndex, bytes.Repeat([]byte(" "), 4<<20+1)); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("PUT of a 4 MiB manifest: %s, want 413", resp.Status)
	}
	unlock, err := f.locks.Lock(ctx, catalog.VersionLockKey("acme/hello", "1.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	resp := put(t, base+"1.0.0", ocispec.MediaTypeImageIndex, plan.IndexJSON)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("PUT while another push holds the version: %s (Retry-After %q), want 503 with Retry-After", resp.Status, resp.Header.Get("Retry-After"))
	}
	unlock()
	if resp := put(t, base+"1.0.0", ocispec.MediaTypeImageIndex, plan.IndexJSON); resp.StatusCode != http.StatusCreated {
		t.Errorf("PUT once the version is free: %s, want 201", resp.Status)
	}
	if len(f.publish) != 1 {
		t.Errorf("published %v, want the one stored push", f.publish)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
