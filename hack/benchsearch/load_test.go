package benchsearch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/registry/api"
	"github.com/mpak-oci/mpak/registry/catalog"
)

// A query class is a kind of search a catalog UI or `mpak bundle search`
// sends; the load mixes them evenly.
const (
	classSelective = "selective" // one rare word: a few dozen matches
	classBroad     = "broad"     // one very common word: a third of the catalog or more
	classPrefix    = "prefix"    // two letters, as typed: the last term is a prefix
	classFilter    = "filter"    // no text; type / os / arch / level / signed filters
	classEmpty     = "empty"     // no text, sorted by downloads, recent or name
	classPage2     = "page2"     // a word matching a few percent, second page
)

var classes = []string{classSelective, classBroad, classPrefix, classFilter, classEmpty, classPage2}

type querySpec struct {
	class string
	path  string // path and query string
}

// queries builds each class's queries from the catalog's word
// frequencies, so the classes keep their selectivity whatever the size.
func queries(cat *Catalog) []querySpec {
	n := len(cat.Repos)
	var qs []querySpec
	add := func(class string, params url.Values) {
		qs = append(qs, querySpec{class, "/v1/bundles/search?" + params.Encode()})
	}
	for _, w := range cat.WordsByDF(max(2, n/2000), max(2, n/400), 20) {
		add(classSelective, url.Values{"q": {w}})
	}
	broad := cat.WordsByDF(n*3/10, n, 5)
	for _, w := range broad {
		add(classBroad, url.Values{"q": {w}})
	}
	seen := map[string]bool{}
	for _, w := range cat.WordsByDF(n/10, n, 40) {
		if p := w[:2]; !seen[p] && len(seen) < 8 {
			seen[p] = true
			add(classPrefix, url.Values{"q": {p}})
		}
	}
	for _, f := range []url.Values{
		{"type": {"python"}, "os": {"linux"}},
		{"type": {"binary"}, "os": {"darwin"}, "arch": {"arm64"}},
		{"type": {"node"}},
		{"os": {"windows"}},
		{"min_level": {"3"}, "signed": {"true"}},
	} {
		add(classFilter, f)
	}
	for _, s := range []string{"", "downloads", "recent", "name"} {
		v := url.Values{}
		if s != "" {
			v.Set("sort", s)
		}
		add(classEmpty, v)
	}
	for _, w := range cat.WordsByDF(max(2, n/50), max(2, n/20), 10) {
		add(classPage2, url.Values{"q": {w}, "offset": {"20"}})
	}
	return qs
}

// serve serves api.New over st on a loopback TCP port with net/http, as
// mpakd does, and returns its base URL.
func serve(tb testing.TB, st catalog.Store) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	// Store failures surface as 500s, which the clients count; the log
	// would only repeat the cancellations of requests a client abandoned.
	h := api.New(api.Options{Store: st, Logger: slog.New(slog.DiscardHandler)})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// newClient is a keep-alive client with a connection per load client.
func newClient(clients int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns:        clients * 2,
		MaxIdleConnsPerHost: clients * 2,
		DisableCompression:  true,
	}, Timeout: 30 * time.Second}
}

// get fetches one search and decodes it.
func get(c *http.Client, u string) (*catalogapi.SearchResponse, error) {
	resp, err := c.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("GET %s: %s: %s", u, resp.Status, b)
	}
	var out catalogapi.SearchResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	return &out, nil
}

// loadResult is what a load run measured.
type loadResult struct {
	elapsed  time.Duration
	all      []time.Duration
	byClass  map[string][]time.Duration
	errors   int
	firstErr error
}

// picker chooses a client's next query.
type picker func(r *rand.Rand) querySpec

// uniform picks a class uniformly, then a query of it uniformly: the fixed
// query sets, which repeat.
func uniform(qs []querySpec) picker {
	byClass := map[string][]querySpec{}
	var names []string
	for _, q := range qs {
		if byClass[q.class] == nil {
			names = append(names, q.class)
		}
		byClass[q.class] = append(byClass[q.class], q)
	}
	return func(r *rand.Rand) querySpec {
		cl := byClass[names[r.IntN(len(names))]]
		return cl[r.IntN(len(cl))]
	}
}

// distinct picks a class uniformly, then the class's next query: no query
// is sent twice while the streams last.
func distinct(streams map[string]*stream, classes ...string) picker {
	return func(r *rand.Rand) querySpec { return streams[classes[r.IntN(len(classes))]].take() }
}

// runLoad runs clients closed-loop clients for d: each sends a request
// pick chooses (seeded per client), reads the whole response, and sends
// the next. Every latency is recorded.
func runLoad(ctx context.Context, c *http.Client, base string, pick picker, clients int, d time.Duration) *loadResult {
	type sample struct {
		class string
		lat   time.Duration
	}
	type clientResult struct {
		samples []sample
		errors  int
		err     error
	}
	results := make(chan clientResult, clients)
	start := time.Now()
	deadline := start.Add(d)
	for i := range clients {
		go func() {
			r := rand.New(rand.NewPCG(uint64(i), 42))
			var cr clientResult
			cr.samples = make([]sample, 0, 1<<14)
			buf := make([]byte, 32<<10)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				q := pick(r)
				t0 := time.Now()
				resp, err := c.Get(base + q.path)
				if err == nil {
					_, err = io.CopyBuffer(io.Discard, resp.Body, buf)
					resp.Body.Close()
					if err == nil && resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("GET %s: %s", q.path, resp.Status)
					}
				}
				lat := time.Since(t0)
				if err != nil {
					cr.errors++
					if cr.err == nil {
						cr.err = err
					}
					continue
				}
				cr.samples = append(cr.samples, sample{q.class, lat})
			}
			results <- cr
		}()
	}
	res := &loadResult{byClass: map[string][]time.Duration{}}
	for range clients {
		cr := <-results
		res.errors += cr.errors
		if res.firstErr == nil {
			res.firstErr = cr.err
		}
		for _, s := range cr.samples {
			res.all = append(res.all, s.lat)
			res.byClass[s.class] = append(res.byClass[s.class], s.lat)
		}
	}
	res.elapsed = time.Since(start)
	slices.Sort(res.all)
	for _, l := range res.byClass {
		slices.Sort(l)
	}
	return res
}

// percentile of sorted latencies, in milliseconds (nearest rank).
func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	i = min(max(i, 0), len(sorted)-1)
	return float64(sorted[i]) / 1e6
}

func (r *loadResult) rate() float64 { return float64(len(r.all)) / r.elapsed.Seconds() }
