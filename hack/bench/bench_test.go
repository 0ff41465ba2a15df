package bench

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"

	"oras.land/oras-go/v2/registry/remote"
)

// sizes are the random payload bytes per platform: the 20 MB, and
// four times that to show memory does not grow with the bundle.
var sizes = []struct {
	name  string
	bytes int64
}{
	{"20MB", 20 << 20},
	{"80MB", 80 << 20},
}

type pushFunc func(context.Context, *remote.Repository, *fixture, string) error

type pullFunc func(context.Context, *remote.Repository, string, string) error

// reverse runs oras before mpak; compare.sh alternates it between rounds so
// that neither peer always runs second (after the other filled the page
// cache and the registry's disk).
var reverse = flag.Bool("bench.reverse", false, "run the oras peer before the mpak peer")

type pushPeer struct {
	name string
	push pushFunc
}

type pullPeer struct {
	name string
	pull pullFunc
}

var (
	pushPeers = []pushPeer{{"mpak", mpakPush}, {"oras", orasPush}}
	pullPeers = []pullPeer{{"mpak", mpakPull}, {"oras", orasPull}}
)

// ordered returns peers, reversed under -bench.reverse.
func ordered[P any](peers []P) []P {
	if *reverse {
		return []P{peers[1], peers[0]}
	}
	return peers
}

// BenchmarkPush publishes the three-platform version, hashing included,
// into a repository of its own each iteration, so every blob is uploaded.
func BenchmarkPush(b *testing.B) {
	ctx := context.Background()
	host := registryHost(b)
	for _, peer := range ordered(pushPeers) {
		b.Run(peer.name, func(b *testing.B) {
			for _, size := range sizes {
				b.Run(size.name, func(b *testing.B) {
					fx := fixtureOf(b, size.bytes)
					repos := make([]*remote.Repository, b.N)
					for i := range repos {
						repos[i] = freshRepository(b, host, fmt.Sprintf("push-%s-%s", peer.name, size.name))
					}
					b.SetBytes(fx.Total)
					peak := startHeapPeak()
					b.ResetTimer()
					for i := range b.N {
						if err := peer.push(ctx, repos[i], fx, fixtureVersion); err != nil {
							b.Fatal(err)
						}
					}
					b.StopTimer()
					peak.report(b)
				})
			}
		})
	}
}

// BenchmarkPullCold pulls the linux/amd64 build of a version pushed once
// (by mpak) into an empty directory each iteration: nothing is cached on
// the client side; the registry's files are in the page cache.
func BenchmarkPullCold(b *testing.B) {
	ctx := context.Background()
	host := registryHost(b)
	for _, peer := range ordered(pullPeers) {
		b.Run(peer.name, func(b *testing.B) {
			for _, size := range sizes {
				b.Run(size.name, func(b *testing.B) {
					fx := fixtureOf(b, size.bytes)
					repo := pulledRepository(b, host, size.name, fx)
					dirs := make([]string, b.N)
					for i := range dirs {
						dirs[i] = b.TempDir()
					}
					b.SetBytes(fx.Files[0].Size)
					peak := startHeapPeak()
					b.ResetTimer()
					for i := range b.N {
						if err := peer.pull(ctx, repo, fixtureVersion, dirs[i]); err != nil {
							b.Fatal(err)
						}
					}
					b.StopTimer()
					peak.report(b)
					// Keep the disk bounded across -count runs.
					for _, d := range dirs {
						os.RemoveAll(d)
					}
				})
			}
		})
	}
}

// pulled holds, per registry and size, the repository the pull benchmarks
// read; it is pushed once.
var pulled = map[string]*remote.Repository{}

func pulledRepository(b *testing.B, host, size string, fx *fixture) *remote.Repository {
	b.Helper()
	key := host + "/" + size
	if r := pulled[key]; r != nil {
		return r
	}
	repo := freshRepository(b, host, "pull-"+size)
	must(b, mpakPush(context.Background(), repo, fx, fixtureVersion))
	pulled[key] = repo
	return repo
}
