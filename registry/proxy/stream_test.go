package proxy_test

import (
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const (
	bigBlob = 64 << 20
	// heapBudget is what the whole process (client, proxy and upstream
	// together) may add to its heap while moving bigBlob through the proxy.
	// Buffering the blob anywhere would blow it.
	heapBudget = 16 << 20
)

// blobContent is a reproducible incompressible stream of bigBlob bytes.
func blobContent() io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{'m', 'p', 'a', 'k'}), bigBlob)
}

// TestStreamsLargeBlobs pushes and pulls a 64 MiB blob through the proxy
// while sampling the heap: neither direction may hold the blob in memory.
func TestStreamsLargeBlobs(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 128 MiB")
	}
	ctx := context.Background()
	up := upstream(t, false)
	px := startProxy(t, up, nil)
	repo := repository(t, px, "acme/big")

	h := sha256.New()
	if _, err := io.Copy(h, blobContent()); err != nil {
		t.Fatal(err)
	}
	desc := ocispec.Descriptor{MediaType: "application/octet-stream", Digest: digest.NewDigestFromBytes(digest.SHA256, h.Sum(nil)), Size: bigBlob}

	// Warm up connections and authentication, so the baseline includes them.
	if _, err := repo.Exists(ctx, desc); err != nil {
		t.Fatal(err)
	}

	peak := sampleHeap(t, func() {
		if err := repo.Push(ctx, desc, blobContent()); err != nil {
			t.Fatalf("pushing %d bytes through the proxy: %v", bigBlob, err)
		}
	})
	t.Logf("push: peak heap growth %.1f MiB", float64(peak)/(1<<20))
	if peak > heapBudget {
		t.Errorf("pushing a %d MiB blob grew the heap by %.1f MiB, want < %d MiB: the upload is buffered", bigBlob>>20, float64(peak)/(1<<20), heapBudget>>20)
	}

	peak = sampleHeap(t, func() {
		rc, err := repo.Fetch(ctx, desc)
		if err != nil {
			t.Fatalf("pulling through the proxy: %v", err)
		}
		defer rc.Close()
		h := sha256.New()
		n, err := io.Copy(h, rc)
		if err != nil || n != bigBlob {
			t.Fatalf("pulled %d bytes, %v; want %d", n, err, bigBlob)
		}
		if got := digest.NewDigestFromBytes(digest.SHA256, h.Sum(nil)); got != desc.Digest {
			t.Fatalf("pulled blob has digest %s, want %s", got, desc.Digest)
		}
	})
	t.Logf("pull: peak heap growth %.1f MiB", float64(peak)/(1<<20))
	if peak > heapBudget {
		t.Errorf("pulling a %d MiB blob grew the heap by %.1f MiB, want < %d MiB: the download is buffered", bigBlob>>20, float64(peak)/(1<<20), heapBudget>>20)
	}
}

// sampleHeap runs f and returns the largest HeapInuse growth seen while it
// ran, sampled every few milliseconds: a before/after comparison would miss
// a buffer that was freed by the end.
func sampleHeap(t testing.TB, f func()) uint64 {
	t.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	observe := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > base && ms.HeapInuse-base > peak.Load() {
			peak.Store(ms.HeapInuse - base)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				observe()
			}
		}
	}()
	f()
	close(stop)
	wg.Wait()
	observe()
	return peak.Load()
}
