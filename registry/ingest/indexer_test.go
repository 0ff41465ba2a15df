package ingest_test

import (
	"context"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/embedded"
	"github.com/mpak-oci/mpak/registry/ingest"
)

// A version's publication time is when the catalog first indexed its
// tag, not the bundle's created annotation (the zip epoch of a
// reproducible pack): re-indexing keeps it, and a version deleted and
// pushed again, the same bytes included, is published anew.
func TestPublishedIsFirstSeen(t *testing.T) {
	ctx := context.Background()
	reg, store := registryAndCatalog(t)
	repo, err := reg.Repository(ctx, "acme/dated")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := bundle.Prepare([]bundle.File{{Path: mcpbtest.Pack(t, "dated", "1.0.0", "x"), Platform: mediatypes.AnyPlatform}}, bundle.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	push := func() {
		t.Helper()
		if _, err := bundle.Push(ctx, repo, plan, "1.0.0", bundle.PushOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	ix := &ingest.Indexer{Store: store, Repos: reg, Now: func() time.Time { return now }}
	index := func(at time.Time) {
		t.Helper()
		now = at
		if err := ix.Tag(ctx, "acme/dated", "1.0.0"); err != nil {
			t.Fatal(err)
		}
	}
	wantPublished := func(what string, want time.Time) {
		t.Helper()
		v, err := store.Version(ctx, "acme/dated", "1.0.0")
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !v.PublishedAt.Equal(want) {
			t.Errorf("%s: PublishedAt = %v, want %v (created says %s)", what, v.PublishedAt, want, v.Annotations["org.opencontainers.image.created"])
		}
	}

	push()
	first := now
	index(first)
	wantPublished("first indexed", first)
	index(first.Add(time.Hour))
	wantPublished("re-indexed", first)

	// Deleted from the registry, the catalog follows; pushed again, the
	// version is a new publication although its digest is the same.
	root, err := repo.Resolve(ctx, "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Delete(ctx, root); err != nil {
		t.Fatal(err)
	}
	index(first.Add(2 * time.Hour))
	if _, err := store.Version(ctx, "acme/dated", "1.0.0"); err == nil {
		t.Fatal("the deleted version is still in the catalog")
	}
	push()
	again := first.Add(3 * time.Hour)
	index(again)
	wantPublished("published again after a delete", again)
}

// registryAndCatalog is an embedded registry and an in-memory SQLite
// catalog, closed when t ends.
func registryAndCatalog(t *testing.T) (*embedded.Registry, *sqlite.Store) {
	t.Helper()
	reg, err := embedded.New(context.Background(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	store, err := sqlite.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return reg, store
}
