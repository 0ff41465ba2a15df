package proxy_test

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/bundle/bundletest"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/ingest"
	"github.com/mpak-oci/mpak/registry/stats"
)

// TestPullThroughProxyCountsOnce publishes a bundle through the proxy with
// `mpak bundle push`'s code, indexes it from the upstream as mpakd does in
// upstream mode, and pulls it through the proxy wrapped in the download
// counter: one pull is one download.
func TestPullThroughProxyCountsOnce(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	counter, err := stats.Open(ctx, stats.Options{Store: store, WALPath: filepath.Join(t.TempDir(), "downloads.wal"),
		FlushInterval: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { counter.Close() })

	up := upstream(t, false)
	px := startProxy(t, up, func(h http.Handler) http.Handler { return counter.Middleware(h) })
	const name, version = "acme/weather", "1.2.3"
	linux := mediatypes.Platform{OS: "linux", Arch: "amd64"}
	plan, err := bundle.Prepare([]bundle.File{{Path: mcpbtest.Pack(t, "weather", version, "linux"), Platform: linux}}, bundle.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Push(ctx, repository(t, px, name), plan, version, bundle.PushOptions{}); err != nil {
		t.Fatalf("pushing a bundle through the proxy: %v", err)
	}
	ix := &ingest.Indexer{Store: store, Repos: upstreamRepos{t, up}, Log: slog.New(slog.DiscardHandler)}
	if err := ix.Tag(ctx, name, version); err != nil {
		t.Fatalf("indexing from the upstream: %v", err)
	}
	counter.Invalidate(name) // indexed off the request path, as the hooks do
	if n := counter.Pending(); n != 0 {
		t.Fatalf("pushing and indexing counted %d downloads, want 0", n)
	}

	if _, err := bundle.Pull(ctx, repository(t, px, name), bundletest.Resolve(t, repository(t, px, name), version), bundle.PullOptions{Platform: linux, Output: t.TempDir()}); err != nil {
		t.Fatalf("pulling through the proxy: %v", err)
	}
	// A download is counted once the server has sent its last byte, which
	// can be just after the client has read it.
	deadline := time.Now().Add(5 * time.Second)
	for counter.Pending() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := counter.Pending(); n != 1 {
		t.Fatalf("one pull through the proxy counted %d downloads, want 1", n)
	}
	if err := counter.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := store.Stats(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 1 || st.ByVersion[version] != 1 || st.ByPlatform["linux/amd64"] != 1 {
		t.Errorf("stats %+v, want one download of %s for linux/amd64", st, version)
	}
}
