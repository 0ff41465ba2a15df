package stats

import (
	"context"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/memory"

	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/bundle/bundletest"
	"github.com/mpak-oci/mpak/registry/ingest"
)

// TestOnePullOneDownload publishes a real two-platform version with
// `mpak bundle push`'s code, indexes it as mpakd does, and pulls it the two
// ways clients do: `mpak bundle pull` and an `oras pull`-style copy of one
// platform. Each is exactly one download, of its platform.
func TestOnePullOneDownload(t *testing.T) {
	ctx := context.Background()
	store := openStore(t, "")
	c, _ := openCounter(t, Options{Store: store})
	srv, reg := startRegistry(t, c.Middleware)
	repo := remoteRepo(t, srv, fixtureRepo)

	linuxPlatform, darwinPlatform := mediatypes.Platform{OS: "linux", Arch: "amd64"}, mediatypes.Platform{OS: "darwin", Arch: "arm64"}
	plan, err := bundle.Prepare([]bundle.File{
		{Path: mcpbtest.Pack(t, "weather", fixtureVersion, "linux"), Platform: linuxPlatform},
		{Path: mcpbtest.Pack(t, "weather", fixtureVersion, "darwin"), Platform: darwinPlatform},
	}, bundle.PrepareOptions{})
	must(t, err)
	_, err = bundle.Push(ctx, repo, plan, fixtureVersion, bundle.PushOptions{})
	must(t, err)
	ix := &ingest.Indexer{Store: store, Repos: reg}
	must(t, ix.Tag(ctx, fixtureRepo, fixtureVersion))
	wantPending(t, c, 0) // pushing and indexing download nothing

	if _, err := bundle.Pull(ctx, repo, bundletest.Resolve(t, repo, fixtureVersion), bundle.PullOptions{Platform: linuxPlatform, Output: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	wantPending(t, c, 1)

	var opts oras.CopyOptions
	opts.WithTargetPlatform(&ocispec.Platform{OS: "darwin", Architecture: "arm64"})
	if _, err := oras.Copy(ctx, repo, fixtureVersion, memory.New(), fixtureVersion, opts); err != nil {
		t.Fatal(err)
	}
	wantPending(t, c, 2)

	must(t, c.Flush(ctx))
	wantStats(t, store, fixtureRepo, 2, map[string]int64{fixtureVersion: 2}, map[string]int64{linux: 1, darwin: 1})
}
