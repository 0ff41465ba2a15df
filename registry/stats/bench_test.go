package stats

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/registry/embedded"
)

// BenchmarkRecord measures a download's cost on the request path: a cached
// attribution and one append to the log.
func BenchmarkRecord(b *testing.B) {
	store := openStore(b, "")
	putFixture(b, store)
	c, _ := openCounter(b, Options{Store: store})
	ctx := context.Background()
	c.Record(ctx, fixtureRepo, linuxLayer) // warm the cache
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			c.Record(ctx, fixtureRepo, linuxLayer)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Record(ctx, fixtureRepo, linuxLayer)
			}
		})
	})
}

// BenchmarkPull measures what counting costs a pull: GETs of a bundle layer
// from one embedded registry (filesystem storage, as mpakd runs it) over
// loopback HTTP, without the counting middleware ("plain") and through it
// ("counted"). Each iteration pulls once each way, alternating which goes
// first, so that both see the same moment of a shared machine: the ratio
// of the two is what to read, in wall time and in the process's CPU time
// (client and server are both in it). A pull's time runs until the server
// has finished with the request, so it includes counting, which happens
// after the last byte. Counting has no per-client limit here: every pull
// takes the whole path, response accounting, a cached attribution and one
// append to the log, while the flusher adds the log to SQLite every second.
func BenchmarkPull(b *testing.B) {
	ctx := context.Background()
	reg, err := embedded.New(ctx, embedded.Options{Dir: b.TempDir()})
	must(b, err)
	b.Cleanup(func() { reg.Close() })
	store := openStore(b, "")
	c, _ := openCounter(b, Options{Store: store, FlushInterval: time.Second, MaxPerClient: -1})
	done := make(chan struct{}, 1)
	finished := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r)
			done <- struct{}{}
		})
	}
	servers := [2]*httptest.Server{httptest.NewServer(finished(reg)), httptest.NewServer(finished(c.Middleware(reg)))}
	for _, srv := range servers {
		b.Cleanup(srv.Close)
	}

	type layer struct {
		name         string
		size         int
		digest, path string
	}
	layers := []layer{{name: "256KiB", size: 256 << 10}, {name: "4MiB", size: 4 << 20}}
	pushed := httptest.NewServer(reg)
	b.Cleanup(pushed.Close)
	repo := remoteRepo(b, pushed, fixtureRepo)
	for i := range layers {
		data := make([]byte, layers[i].size)
		_, _ = rand.NewChaCha8([32]byte{byte(i)}).Read(data)
		desc := pushBlob(b, repo, mediatypes.Bundle, data)
		layers[i].digest = desc.Digest.String()
		layers[i].path = "/v2/" + fixtureRepo + "/blobs/" + layers[i].digest
	}
	// Both layers are builds of one version: every counted pull resolves.
	putVersion(b, store, fixtureRepo, fixtureVersion, linux, layers[0].digest, darwin, layers[1].digest)

	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	b.Cleanup(client.CloseIdleConnections)
	pull := func(b *testing.B, srv *httptest.Server, l layer) (wall, cpu time.Duration) {
		t0, c0 := time.Now(), cpuTime(b)
		resp, err := client.Get(srv.URL + l.path)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || n != int64(l.size) {
			b.Fatalf("pull: status %d, %d of %d bytes, %v", resp.StatusCode, n, l.size, err)
		}
		<-done
		return time.Since(t0), cpuTime(b) - c0
	}
	for _, l := range layers {
		b.Run("size="+l.name, func(b *testing.B) {
			for _, srv := range servers { // a connection to each, and the layer's attribution cached
				pull(b, srv, l)
			}
			logged := c.Counted() + int64(c.Pending())
			var wall, cpu [2][]time.Duration
			i := 0
			for b.Loop() {
				for j := range 2 {
					v := (i + j) % 2
					w, c := pull(b, servers[v], l)
					wall[v] = append(wall[v], w)
					cpu[v] = append(cpu[v], c)
				}
				i++
			}
			if got := c.Counted() + int64(c.Pending()) - logged; got != int64(b.N) {
				b.Fatalf("%d counted pulls logged %d downloads", b.N, got)
			}
			report(b, "", wall)
			report(b, "cpu-", cpu)
		})
	}
}

// report reports the medians of a paired benchmark's plain and counted
// pulls, and the overhead as the median of the pairs' differences over the
// plain median: robust to the pauses (GC, preemption by other tenants)
// that hit one pull of a pair and dwarf what is measured.
func report(b *testing.B, prefix string, d [2][]time.Duration) {
	diff := make([]time.Duration, len(d[0]))
	for i := range diff {
		diff[i] = d[1][i] - d[0][i]
	}
	plain := median(d[0])
	b.ReportMetric(float64(plain), prefix+"plain-ns/pull")
	b.ReportMetric(float64(median(d[1])), prefix+"counted-ns/pull")
	b.ReportMetric(100*float64(median(diff))/float64(plain), prefix+"overhead-%")
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// BenchmarkMiddleware is counting's own cost per blob GET, without the
// network and the registry: a handler that writes a 256 KiB body to a
// writer that discards it, called directly ("plain") and through the
// middleware ("counted", each GET logged; "limited", each GET past the
// first five stopped by the per-client limit).
func BenchmarkMiddleware(b *testing.B) {
	store := openStore(b, "")
	putFixture(b, store)
	counted, _ := openCounter(b, Options{Store: store, MaxPerClient: -1})
	limited, _ := openCounter(b, Options{Store: store})
	body := make([]byte, 256<<10)
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	})
	req := httptest.NewRequest(http.MethodGet, "/v2/"+fixtureRepo+"/blobs/"+linuxLayer, nil)
	for _, v := range []struct {
		name string
		h    http.Handler
	}{{"plain", h}, {"counted", counted.Middleware(h)}, {"limited", limited.Middleware(h)}} {
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				v.h.ServeHTTP(discard{http.Header{}}, req)
			}
		})
	}
}

// discard is a ResponseWriter that drops what it is sent.
type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) Write(p []byte) (int, error) { return len(p), nil }
func (d discard) WriteHeader(int)             {}
