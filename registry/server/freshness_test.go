package server_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/yank"
	"github.com/mpak-oci/mpak/registry/catalog/postgres"
	"github.com/mpak-oci/mpak/registry/catalog/postgres/pgtest"
)

// freshness is the promise each replica's search engine keeps: what one
// replica indexes is searchable through every replica within it.
const freshness = time.Second

// TestSearchFreshnessAcrossReplicas: three mpakd replicas share one
// PostgreSQL catalog, each answering searches from its own in-memory
// engine. A version pushed through one is found through all three within
// a second of its indexing; a yanked one stops being the latest, and a
// deleted one disappears, as fast.
func TestSearchFreshnessAcrossReplicas(t *testing.T) {
	dsn := pgtest.NewSchema(t)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	replicas := []*mpakd{listen(t), listen(t), listen(t)}
	a := replicas[0]
	// The upstream tells replica a alone about its events, as a load
	// balancer would route one push to one replica.
	upHost := upstreamRegistry(t, a.hooksURL())
	for _, m := range replicas {
		store, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		m.serve(t, upHost, store)
	}

	// latest is what a replica's search for "weather" shows: the
	// version its bundle lists, "" when none.
	latest := func(m *mpakd) string {
		res, err := m.catalog.Search(context.Background(), catalogapi.Query{Text: "weather"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Bundles) == 0 {
			return ""
		}
		return res.Bundles[0].Version
	}
	// everywhere waits for replica a to show want (it indexes the
	// change), then gives every replica freshness to show it too.
	everywhere := func(what, want string) {
		t.Helper()
		eventually(t, "replica a to show "+what, func() (bool, string) {
			got := latest(a)
			return got == want, fmt.Sprintf("latest %q", got)
		})
		indexed := time.Now()
		var wg sync.WaitGroup
		for i, m := range replicas {
			wg.Go(func() {
				for {
					got := latest(m)
					if got == want {
						t.Logf("%s: replica %d after %v", what, i, time.Since(indexed).Round(time.Millisecond))
						return
					}
					if time.Since(indexed) > freshness {
						t.Errorf("%s: replica %d still shows latest %q %v after replica a indexed it, want %q", what, i, got, freshness, want)
						return
					}
					time.Sleep(5 * time.Millisecond)
				}
			})
		}
		wg.Wait()
	}

	for _, m := range replicas {
		if got := latest(m); got != "" {
			t.Fatalf("search before any push: latest %q", got)
		}
	}
	pushVersion(t, a.addr, "1.0.0")
	everywhere("a push", "1.0.0")
	root := pushVersion(t, a.addr, "1.1.0")
	everywhere("a newer version", "1.1.0")

	if _, err := yank.Mark(context.Background(), repository(t, a.addr), root, true, "broken: use 1.0.0", yank.Options{}); err != nil {
		t.Fatal(err)
	}
	everywhere("a yank", "1.0.0")

	// Deleted straight on the upstream, which tells replica a.
	repo := repository(t, upHost)
	for _, v := range []string{"1.1.0", "1.0.0"} {
		desc, err := repo.Resolve(context.Background(), v)
		if err != nil {
			t.Fatal(err)
		}
		if err := repo.Delete(context.Background(), desc); err != nil {
			t.Fatal(err)
		}
	}
	everywhere("deletes", "")
}

// pushVersion publishes a version of acme/weather through host (an mpakd
// replica's proxy, as alice) and returns its root descriptor.
func pushVersion(t *testing.T, host, version string) ocispec.Descriptor {
	t.Helper()
	plan, err := bundle.Prepare([]bundle.File{{Path: mcpbtest.Pack(t, "weather", version, ""), Platform: mediatypes.AnyPlatform}},
		bundle.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Push(context.Background(), repository(t, host), plan, version, bundle.PushOptions{}); err != nil {
		t.Fatalf("push %s through %s: %v", version, host, err)
	}
	return plan.Index
}
