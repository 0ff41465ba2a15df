package benchproxy

import (
	"context"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/oci/catalog"
)

var (
	flagSize   = flag.Int64("benchproxy.size", 1<<30, "payload bytes of the benchmark bundle")
	flagRounds = flag.Int("benchproxy.rounds", 6, "pulls per path; the two paths alternate, and which goes first alternates too")
	flagUpAddr = flag.String("benchproxy.upstream", "", "address for the upstream mpakd (default: a free loopback port); link.sh throttles traffic from its port")
	flagDir    = flag.String("benchproxy.dir", "", "directory for the registries and the bundle (default: a temporary one; needs about 3× the size free)")
)

// setup is an upstream mpakd holding the bundle and an mpakd proxying it.
type setup struct {
	upstream, proxy *process
	digest          string
	size            int64
}

func newSetup(tb testing.TB, dir, upAddr string, payload int64) *setup {
	tb.Helper()
	bin := buildMpakd(tb, dir)
	up := startMpakd(tb, bin, upAddr, "--data", filepath.Join(dir, "upstream"))
	proxy := startMpakd(tb, bin, "", "--data", filepath.Join(dir, "proxy"), "--upstream", "http://"+up.addr)
	// Pushed through the proxy, which indexes it (and so knows the layer
	// is a bundle's); the blobs land in the upstream.
	digest, size := publish(tb, proxy.addr, bigBundle(tb, dir, payload))
	return &setup{upstream: up, proxy: proxy, digest: digest, size: size}
}

// TestProxyPulls is the quick check `make test` runs: a 16 MiB bundle
// pulled through the proxy and straight from the upstream, the bytes
// verified against the layer digest, and each proxied pull counted once.
func TestProxyPulls(t *testing.T) {
	s := newSetup(t, t.TempDir(), "", 16<<20)
	client := &http.Client{}
	for _, host := range []string{s.upstream.addr, s.proxy.addr, s.proxy.addr} {
		r, err := pullBlob(client, host, s.digest, true)
		if err != nil {
			t.Fatal(err)
		}
		if r.bytes != s.size || r.sha256 != s.digest {
			t.Fatalf("pull from %s: %d bytes with %s, want %d with %s", host, r.bytes, r.sha256, s.size, s.digest)
		}
	}
	waitDownloads(t, s.proxy.addr, 2)
	hwm, err := s.proxy.memory("VmHWM")
	if err != nil || hwm <= 0 {
		t.Errorf("reading the proxy's peak RSS: %d kB, %v", hwm, err)
	}
	t.Logf("proxy peak RSS (VmHWM): %.1f MiB", float64(hwm)/1024)
}

// waitDownloads waits until the proxy's catalog counts want downloads of
// the bundle (counts reach the catalog in batches).
func waitDownloads(tb testing.TB, addr string, want int64) {
	tb.Helper()
	c := &catalog.Client{BaseURL: "http://" + addr}
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := c.Bundle(context.Background(), repository)
		if err == nil && b.Downloads == want {
			return
		}
		if time.Now().After(deadline) {
			got := int64(-1)
			if b != nil {
				got = b.Downloads
			}
			tb.Fatalf("proxy counted %d downloads (err %v), want %d", got, err, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// BenchmarkProxyPull pulls the benchmark bundle's layer straight from the
// upstream and through the proxy, alternately, -benchproxy.rounds times
// each, while sampling the proxy's RSS. Run with -benchtime 1x.
func BenchmarkProxyPull(b *testing.B) {
	dir := *flagDir
	if dir == "" {
		dir = b.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	s := newSetup(b, dir, *flagUpAddr, *flagSize)
	client := &http.Client{}
	// Warm both paths (page cache, connections) unmeasured.
	for _, host := range []string{s.upstream.addr, s.proxy.addr} {
		if _, err := pullBlob(client, host, s.digest, false); err != nil {
			b.Fatal(err)
		}
	}

	var peakRSS atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if rss, err := s.proxy.memory("VmRSS"); err == nil && rss > peakRSS.Load() {
					peakRSS.Store(rss)
				}
			}
		}
	})

	var direct, proxied []float64
	var proxyCPU time.Duration // the proxy's CPU time during proxied pulls
	for i := range *flagRounds {
		order := []string{"direct", "proxy"}
		if i%2 == 1 {
			order = []string{"proxy", "direct"}
		}
		for _, path := range order {
			host := s.upstream.addr
			if path == "proxy" {
				host = s.proxy.addr
			}
			cpu0, err := s.proxy.cpu()
			if err != nil {
				b.Fatal(err)
			}
			r, err := pullBlob(client, host, s.digest, false)
			if err != nil {
				b.Fatal(err)
			}
			if cpu1, err := s.proxy.cpu(); err == nil && path == "proxy" {
				proxyCPU += cpu1 - cpu0
			}
			if r.bytes != s.size {
				b.Fatalf("%s pull: %d bytes, want %d", path, r.bytes, s.size)
			}
			if path == "proxy" {
				proxied = append(proxied, r.mbps())
			} else {
				direct = append(direct, r.mbps())
			}
			b.Logf("round %d %-6s %7.0f MB/s (%s)", i, path, r.mbps(), r.elapsed.Round(time.Millisecond))
		}
	}
	close(stop)
	wg.Wait()
	hwm, err := s.proxy.memory("VmHWM")
	if err != nil {
		b.Fatal(err)
	}
	waitDownloads(b, s.proxy.addr, int64(*flagRounds)+1) // the rounds and the warm-up
	md, mp := median(direct), median(proxied)
	b.ReportMetric(md, "direct-MB/s")
	b.ReportMetric(mp, "proxy-MB/s")
	b.ReportMetric(mp/md, "proxy/direct")
	b.ReportMetric(float64(hwm)/1024, "proxy-peak-RSS-MiB")
	cpuPerGB := proxyCPU.Seconds() / (float64(s.size) * float64(*flagRounds) / 1e9)
	b.ReportMetric(cpuPerGB, "proxy-CPU-s/GB")
	b.Logf("| %d MiB | %d rounds | direct %.0f MB/s [%.0f–%.0f] | proxy %.0f MB/s [%.0f–%.0f] | ratio %.2f | proxy VmHWM %.1f MiB, sampled RSS max %.1f MiB | proxy CPU %.2f s/GB |",
		s.size>>20, *flagRounds, md, slices.Min(direct), slices.Max(direct), mp, slices.Min(proxied), slices.Max(proxied),
		mp/md, float64(hwm)/1024, float64(peakRSS.Load())/1024, cpuPerGB)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}
