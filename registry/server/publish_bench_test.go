package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	orasremote "oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/registrytest"
	"github.com/mpak-oci/mpak/registry/server"
)

// What mpakd's rules cost a publisher and a puller, side by side with the
// same registry alone (distribution/v3, as mpakd embeds it):
//
//	go test ./registry/server/ -run '^$' -bench 'Publish|ResolveTag' -benchtime 200x -count 5
//
// Publish pushes a new version each iteration (blobs, manifest, index under
// its tag); through mpakd that adds the checks, the version's lock and
// indexing before the push returns. ResolveTag is a HEAD of a version tag,
// each iteration another version, which mpakd checks against its catalog.
func BenchmarkPublish(b *testing.B) {
	for _, target := range benchTargets(b) {
		b.Run(target.name, func(b *testing.B) {
			repo := benchRepo(b, target.host)
			i := 0
			for b.Loop() {
				b.StopTimer()
				plan := benchPlan(b, fmt.Sprintf("1.0.%d", i))
				i++
				b.StartTimer()
				if _, err := bundle.Push(context.Background(), repo, plan, plan.Version, bundle.PushOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkResolveTag(b *testing.B) {
	const versions = 100
	for _, target := range benchTargets(b) {
		b.Run(target.name, func(b *testing.B) {
			repo := benchRepo(b, target.host)
			for i := range versions {
				plan := benchPlan(b, fmt.Sprintf("2.0.%d", i))
				if _, err := bundle.Push(context.Background(), repo, plan, plan.Version, bundle.PushOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			i := 0
			for b.Loop() {
				if _, err := repo.Resolve(context.Background(), fmt.Sprintf("2.0.%d", i%versions)); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

type benchTarget struct{ name, host string }

// benchTargets are distribution/v3 alone and mpakd embedding it with a
// SQLite catalog, each on its own loopback listener and storage.
func benchTargets(b *testing.B) []benchTarget {
	b.Helper()
	dist := registrytest.DistributionAt(b, b.TempDir())
	store, err := sqlite.Open(filepath.Join(b.TempDir(), "index.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	srv, err := server.New(context.Background(), server.Options{DataDir: b.TempDir(), Store: store, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	b.Cleanup(func() {
		hs.Close()
		srv.Shutdown(context.Background())
	})
	return []benchTarget{{"distribution", dist}, {"mpakd", strings.TrimPrefix(hs.URL, "http://")}}
}

// benchPlan is a version of acme/weather, the repository the test helpers
// open.
func benchPlan(b *testing.B, version string) *bundle.Plan {
	b.Helper()
	plan, err := bundle.Prepare([]bundle.File{{Path: mcpbtest.Pack(b, "weather", version, ""), Platform: mediatypes.AnyPlatform}}, bundle.PrepareOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return plan
}

func benchRepo(b *testing.B, host string) *orasremote.Repository {
	b.Helper()
	r, err := ref.Parse(host+"/acme/weather", ref.Defaults{})
	if err != nil {
		b.Fatal(err)
	}
	repo, err := connect.Options{}.Repository(r)
	if err != nil {
		b.Fatal(err)
	}
	return repo
}
