package bench

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestPeersInterop checks that the two peers move the same artifact: each
// side's push can be pulled by each side, and the pulled file is the
// linux/amd64 fixture byte for byte. It runs in `make test` on a small
// fixture, through the same child-process registry the benchmarks use.
func TestPeersInterop(t *testing.T) {
	ctx := context.Background()
	host := registryHost(t)
	fx := fixtureOf(t, 256<<10)
	want, err := os.ReadFile(fx.Files[0].Path)
	must(t, err)
	name := filepath.Base(fx.Files[0].Path)

	for _, pusher := range pushPeers {
		repo := freshRepository(t, host, "interop-"+pusher.name)
		must(t, pusher.push(ctx, repo, fx, fixtureVersion))
		// A second push of the same version must be accepted (mpak: a
		// no-op; oras: overwrites the tag with the same index).
		must(t, pusher.push(ctx, repo, fx, fixtureVersion))
		for _, puller := range pullPeers {
			t.Run(pusher.name+"-push/"+puller.name+"-pull", func(t *testing.T) {
				dir := t.TempDir()
				must(t, puller.pull(ctx, repo, fixtureVersion, dir))
				got, err := os.ReadFile(filepath.Join(dir, name))
				must(t, err)
				if !bytes.Equal(got, want) {
					t.Fatalf("pulled %d bytes that differ from the %d byte linux/amd64 fixture", len(got), len(want))
				}
				entries, err := os.ReadDir(dir)
				must(t, err)
				if len(entries) != 1 {
					t.Fatalf("pull left %d entries in the output directory, want only %s", len(entries), name)
				}
			})
		}
	}
}
