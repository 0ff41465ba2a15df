package benchproxy

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/catalogapi"
)

var (
	flagSize   = flag.Int64("benchproxy.size", 1<<30, "payload bytes of the benchmark bundle")
	flagRounds = flag.Int("benchproxy.rounds", 6, "pulls per path; the two paths alternate, and which goes first alternates too")
	flagVerify = flag.Bool("benchproxy.verify", false, "hash every pull with sha256, as a client verifying the layer does")
	flagUpAddr = flag.String("benchproxy.upstream", "", "address for the upstream mpakd (default: a free loopback port)")
	flagNetns  = flag.String("benchproxy.netns", "", "network namespace to run the upstream mpakd in (link.sh sets it up)")
	flagDir    = flag.String("benchproxy.dir", "", "directory for the registries and the bundle (default: a temporary one; needs about 3× the size free)")
)

// setup is an upstream mpakd holding the bundle and an mpakd proxying it.
type setup struct {
	upstream, proxy *process
	digest          string
	size            int64
}

// newSetup starts the upstream (on upAddr in network namespace netns, when
// set) and the proxy, and publishes a bundle with a payload of that many
// bytes.
func newSetup(tb testing.TB, dir, netns, upAddr string, payload int64) *setup {
	tb.Helper()
	bin := buildMpakd(tb, dir)
	// Across link.sh's veth the upstream listens on a non-loopback address
	// of a private namespace: serving it without auth is the point.
	up := startMpakd(tb, netns, bin, upAddr, "--data", filepath.Join(dir, "upstream"), "--insecure-no-auth")
	proxy := startMpakd(tb, "", bin, "", "--data", filepath.Join(dir, "proxy"), "--upstream", "http://"+up.addr)
	// Pushed through the proxy, which indexes it (and so knows the layer
	// is a bundle's); the blobs land in the upstream.
	digest, size := publish(tb, proxy.addr, bigBundle(tb, dir, payload))
	return &setup{upstream: up, proxy: proxy, digest: digest, size: size}
}

// pull is one measured GET of the layer.
type pull struct {
	round int
	path  string // "direct" or "proxy"
	pullResult
	cpu cpuUse
}

// perGB is d per 10⁹ bytes pulled.
func (p pull) perGB(d time.Duration) float64 { return d.Seconds() / (float64(p.bytes) / 1e9) }

// cores is how many CPUs d kept busy, on average, during the pull.
func (p pull) cores(d time.Duration) float64 { return d.Seconds() / p.elapsed.Seconds() }

// rounds pulls the layer n times along each path. Round i pulls direct
// first when i is even and through the proxy first when it is odd, so
// that neither path always runs in the other's wake (page cache, TCP
// windows) and a burst of other work on the machine falls on both.
func (s *setup) rounds(client *http.Client, n int, verify bool) ([]pull, error) {
	clock := cpuClock{upstream: s.upstream, proxy: s.proxy}
	var pulls []pull
	for i := range n {
		paths := []string{"direct", "proxy"}
		if i%2 == 1 {
			slices.Reverse(paths)
		}
		for _, path := range paths {
			host := s.upstream.addr
			if path == "proxy" {
				host = s.proxy.addr
			}
			before, err := clock.snapshot()
			if err != nil {
				return nil, err
			}
			r, err := pullBlob(client, host, s.digest, verify)
			if err != nil {
				return nil, fmt.Errorf("round %d, %s: %w", i, path, err)
			}
			after, err := clock.snapshot()
			if err != nil {
				return nil, err
			}
			pulls = append(pulls, pull{round: i, path: path, pullResult: r, cpu: cpuBetween(before, after)})
		}
	}
	return pulls, nil
}

// sampleRSS reads p's VmRSS now and then every interval until the
// returned function is called, which returns the largest value in kB.
func sampleRSS(p *process, interval time.Duration) (stop func() int64) {
	var peak atomic.Int64
	sample := func() {
		if rss, err := p.memory("VmRSS"); err == nil && rss > peak.Load() {
			peak.Store(rss)
		}
	}
	sample()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	})
	return func() int64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// TestProxyPulls is the quick check `make test` runs: the benchmark's
// rounds on a 16 MiB bundle, every pull's bytes verified against the
// layer digest, each proxied pull counted exactly once, and the proxy's
// memory readable.
func TestProxyPulls(t *testing.T) {
	s := newSetup(t, t.TempDir(), "", "", 16<<20)
	rss := sampleRSS(s.proxy, 20*time.Millisecond)
	pulls, err := s.rounds(&http.Client{}, 2, true)
	sampled := rss()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pulls {
		got = append(got, p.path)
		if p.bytes != s.size || p.sha256 != s.digest {
			t.Errorf("round %d, %s: %d bytes with %s, want %d with %s", p.round, p.path, p.bytes, p.sha256, s.size, s.digest)
		}
	}
	if want := []string{"direct", "proxy", "proxy", "direct"}; !slices.Equal(got, want) {
		t.Errorf("pulls went %v, want %v", got, want)
	}
	// Direct pulls do not pass the proxy: only the two proxied ones count.
	settleDownloads(t, s.proxy.addr, 2)

	hwm, err := s.proxy.memory("VmHWM")
	if err != nil {
		t.Fatal(err)
	}
	// The high-water mark can only be above every RSS seen before it.
	if sampled <= 0 || sampled > hwm {
		t.Errorf("proxy RSS sampled up to %d kB, VmHWM %d kB: want 0 < sampled ≤ VmHWM", sampled, hwm)
	}
	t.Logf("proxy peak RSS (VmHWM): %.1f MiB", float64(hwm)/1024)
}

// settleDownloads waits until the proxy has added every download it
// recorded to its catalog, then checks that it counted exactly want: in
// its counter (/metrics) and in the catalog, for the bundle and for its
// version. Waiting for the log to drain, not for the count to reach want,
// keeps a count that overshoots from passing on its way up.
func settleDownloads(tb testing.TB, addr string, want int64) {
	tb.Helper()
	const pending, counted = "mpakd_downloads_pending", "mpakd_downloads_counted_total"
	deadline := time.Now().Add(30 * time.Second)
	var (
		m   map[string]float64
		err error
	)
	for {
		m, err = scrape(addr, pending, counted)
		if err == nil && m[pending] == 0 {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("proxy's downloads not in its catalog after 30s: %v (%v)", m, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if m[counted] != float64(want) {
		tb.Errorf("%s = %v, want %d", counted, m[counted], want)
	}
	c := &catalogapi.Client{BaseURL: "http://" + addr}
	b, err := c.Bundle(context.Background(), repository)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := c.Version(context.Background(), repository, "1.0.0")
	if err != nil {
		tb.Fatal(err)
	}
	if b.Downloads != want || v.Downloads != want {
		tb.Errorf("catalog counts %d downloads of %s, %d of 1.0.0, want %d", b.Downloads, repository, v.Downloads, want)
	}
}

// scrape reads unlabelled samples from mpakd's /metrics.
func scrape(addr string, names ...string) (map[string]float64, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && slices.Contains(names, f[0]) {
			if m[f[0]], err = strconv.ParseFloat(f[1], 64); err != nil {
				return nil, fmt.Errorf("/metrics: %q: %w", sc.Text(), err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, n := range names {
		if _, ok := m[n]; !ok {
			return nil, fmt.Errorf("/metrics has no %s", n)
		}
	}
	return m, nil
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
	start := time.Now()
	s := newSetup(b, dir, *flagNetns, *flagUpAddr, *flagSize)
	b.Logf("set-up (build, pack, push %d MB through the proxy): %s", s.size/1e6, time.Since(start).Round(100*time.Millisecond))
	client := &http.Client{}
	// Warm both paths (page cache, connections) unmeasured; the proxied
	// pull counts as a download all the same.
	if _, err := s.rounds(client, 1, false); err != nil {
		b.Fatal(err)
	}

	rss := sampleRSS(s.proxy, 20*time.Millisecond)
	pulls, err := s.rounds(client, *flagRounds, *flagVerify)
	sampled := rss()
	if err != nil {
		b.Fatal(err)
	}
	hwm, err := s.proxy.memory("VmHWM")
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range pulls {
		if p.bytes != s.size || *flagVerify && p.sha256 != s.digest {
			b.Fatalf("round %d, %s: %d bytes with %q, want %d with %s", p.round, p.path, p.bytes, p.sha256, s.size, s.digest)
		}
		c := p.cpu
		b.Logf("round %d %-6s %5.0f MB/s %6s | CPU s/GB: upstream %.2f proxy %.2f client %.2f = %.2f | cores busy: ours %.2f, others %.2f",
			p.round, p.path, p.mbps(), p.elapsed.Round(time.Millisecond),
			p.perGB(c.upstream), p.perGB(c.proxy), p.perGB(c.client), p.perGB(c.ours()), p.cores(c.ours()), p.cores(c.others))
	}
	settleDownloads(b, s.proxy.addr, int64(*flagRounds)+1) // the rounds and the warm-up

	direct, proxied := summarize(pulls, "direct"), summarize(pulls, "proxy")
	b.ReportMetric(direct.mbps, "direct-MB/s")
	b.ReportMetric(proxied.mbps, "proxy-MB/s")
	b.ReportMetric(proxied.mbps/direct.mbps, "proxy/direct")
	b.ReportMetric(float64(hwm)/1024, "proxy-peak-RSS-MiB")
	b.ReportMetric(proxied.proxyCPU, "proxy-CPU-s/GB")
	b.ReportMetric(direct.cpu, "direct-path-CPU-s/GB")
	b.ReportMetric(proxied.cpu, "proxy-path-CPU-s/GB")
	b.Logf("| %d MiB | %d rounds | direct %.0f MB/s [%.0f–%.0f] | proxy %.0f MB/s [%.0f–%.0f] | ratio %.2f | proxy VmHWM %.1f MiB, sampled RSS max %.1f MiB |",
		s.size>>20, *flagRounds, direct.mbps, direct.min, direct.max, proxied.mbps, proxied.min, proxied.max,
		proxied.mbps/direct.mbps, float64(hwm)/1024, float64(sampled)/1024)
	for _, x := range []summary{direct, proxied} {
		b.Logf("| %-6s | CPU s/GB: upstream %.2f, proxy %.2f, client %.2f, all %.2f | cores busy: ours %.2f, others %.2f |",
			x.path, x.upstreamCPU, x.proxyCPU, x.clientCPU, x.cpu, x.cores, x.others)
	}
}

// summary is the medians of one path's pulls.
type summary struct {
	path                                  string
	mbps, min, max                        float64
	upstreamCPU, proxyCPU, clientCPU, cpu float64 // s/GB
	cores, others                         float64 // CPUs busy during the pull
}

func summarize(pulls []pull, path string) summary {
	var mbps, up, px, cl, all, cores, others []float64
	for _, p := range pulls {
		if p.path != path {
			continue
		}
		mbps = append(mbps, p.mbps())
		up = append(up, p.perGB(p.cpu.upstream))
		px = append(px, p.perGB(p.cpu.proxy))
		cl = append(cl, p.perGB(p.cpu.client))
		all = append(all, p.perGB(p.cpu.ours()))
		cores = append(cores, p.cores(p.cpu.ours()))
		others = append(others, p.cores(p.cpu.others))
	}
	return summary{
		path: path,
		mbps: median(mbps), min: slices.Min(mbps), max: slices.Max(mbps),
		upstreamCPU: median(up), proxyCPU: median(px), clientCPU: median(cl), cpu: median(all),
		cores: median(cores), others: median(others),
	}
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
