package ingest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"oras.land/oras-go/v2"

	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/ingest"
)

// TestPushAnnouncedBeforeTagged: distribution notifies a tagged push
// before it writes the tag. A receiver that indexes the tag at once finds
// nothing; it must ask the sender to retry rather than answer that there
// is nothing to index, which would lose the version for good. A push whose
// tag never appears is given up after PendingFor, so that it cannot hold
// the sender's later events for ever.
func TestPushAnnouncedBeforeTagged(t *testing.T) {
	ctx := context.Background()
	reg, store := registryAndCatalog(t)
	repo, err := reg.Repository(ctx, "acme/early")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	ix := &ingest.Indexer{Store: store, Repos: reg, Now: func() time.Time { return now }}

	plan, err := bundle.Prepare([]bundle.File{{Path: mcpbtest.Pack(t, "early", "1.0.0", "x"), Platform: mediatypes.AnyPlatform}}, bundle.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Everything the push wrote, but the version tag not yet: copied by
	// digest from another repository.
	source, err := reg.Repository(ctx, "source/early")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Push(ctx, source, plan, "1.0.0", bundle.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := oras.CopyGraph(ctx, source, repo, plan.Index, oras.DefaultCopyGraphOptions); err != nil {
		t.Fatal(err)
	}
	digest := plan.Index.Digest.String()

	err = ix.Pushed(ctx, "acme/early", "1.0.0", digest)
	if !errors.Is(err, ingest.ErrTagPending) {
		t.Fatalf("indexing a push announced before its tag: %v, want ErrTagPending for the sender to retry", err)
	}
	if _, err := store.Version(ctx, "acme/early", "1.0.0"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("catalog entry before the tag: %v", err)
	}
	now = now.Add(time.Second)
	if err := repo.Tag(ctx, plan.Index, "1.0.0"); err != nil {
		t.Fatal(err)
	}
	if err := ix.Pushed(ctx, "acme/early", "1.0.0", digest); err != nil {
		t.Fatalf("the retry once tagged: %v", err)
	}
	v, err := store.Version(ctx, "acme/early", "1.0.0")
	if err != nil || v.Digest != digest {
		t.Fatalf("indexed %+v, %v; want digest %s", v, err, digest)
	}

	// A push whose tag was deleted before mpakd heard of it: pending until
	// PendingFor has passed since it first did, then given up.
	if err := ix.Pushed(ctx, "acme/early", "2.0.0", digest); !errors.Is(err, ingest.ErrTagPending) {
		t.Fatalf("first delivery: %v, want ErrTagPending", err)
	}
	now = now.Add(ingest.PendingFor - time.Second)
	if err := ix.Pushed(ctx, "acme/early", "2.0.0", digest); !errors.Is(err, ingest.ErrTagPending) {
		t.Fatalf("retry within the wait: %v, want ErrTagPending", err)
	}
	now = now.Add(time.Second)
	if err := ix.Pushed(ctx, "acme/early", "2.0.0", digest); err != nil {
		t.Fatalf("retry after the wait: %v, want nil (given up)", err)
	}
	if _, err := store.Version(ctx, "acme/early", "2.0.0"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("a push never tagged is in the catalog: %v", err)
	}
}
