package benchsearch

import (
	"context"
	"flag"
	"fmt"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/postgres"
	"github.com/mpak-oci/mpak/registry/catalog/searchcache"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/search"
)

var (
	flagRepos    = flag.Int("benchsearch.repos", 20000, "repositories in the benchmark catalog")
	flagVersions = flag.Int("benchsearch.versions", 5, "versions per repository")
	flagClients  = flag.Int("benchsearch.clients", 16, "concurrent closed-loop HTTP clients")
	flagDuration = flag.Duration("benchsearch.duration", 10*time.Second, "measured time of the mixed load, per store")
	flagClassDur = flag.Duration("benchsearch.classdur", 3*time.Second, "measured time of each class alone, per store (0: skip)")
	flagWarmup   = flag.Duration("benchsearch.warmup", time.Second, "unmeasured load before each measurement")
	flagWrk      = flag.Duration("benchsearch.wrk", 5*time.Second, "duration of the wrk cross-check, when wrk is installed (0: skip)")
	flagDrop     = flag.Bool("benchsearch.drop", false, "drop the PostgreSQL fixture schema afterwards instead of keeping it for the next run")
	flagModes    = flag.String("benchsearch.modes", "engine,engine-cached", "what answers searches, comma-separated: engine (mpakd's in-memory search engine, no cache), engine-cached (the result cache in front of it), sql (the store's SQL, no cache), sql-cached")
	flagQueries  = flag.String("benchsearch.queries", "distinct", "distinct (seeded, never repeated within a run: selective, broad, prefix) or fixed (the earlier 52 queries of six classes, which repeat)")
	flagDistinct = flag.Int("benchsearch.distinct", 200000, "distinct queries generated per class")
)

var (
	benchCatalogMu sync.Mutex
	benchCatalog   *Catalog
)

// catalogForBench is the generated catalog, generated again after
// releaseCatalog if need be.
func catalogForBench() *Catalog {
	benchCatalogMu.Lock()
	defer benchCatalogMu.Unlock()
	if benchCatalog == nil {
		benchCatalog = Generate(seed, *flagRepos, *flagVersions)
	}
	return benchCatalog
}

// releaseCatalog lets the generated catalog go before a load is measured.
// It would be most of this process's heap, several times the engine's,
// and every garbage collection during the load would mark it: a cost
// mpakd, which holds no such thing, does not pay.
func releaseCatalog() {
	benchCatalogMu.Lock()
	benchCatalog = nil
	benchCatalogMu.Unlock()
	runtime.GC()
}

var (
	benchQueriesOnce sync.Once
	benchDistinct    map[string][]querySpec
	benchFixed       []querySpec
)

// queriesForBench are the queries of -benchsearch.queries, generated
// once from the catalog: every store gets the same ones.
func queriesForBench() (distinct map[string][]querySpec, fixed []querySpec) {
	benchQueriesOnce.Do(func() {
		switch *flagQueries {
		case "distinct":
			benchDistinct = distinctQueries(catalogForBench(), *flagDistinct, seed)
		case "fixed":
			benchFixed = queries(catalogForBench())
		}
	})
	return benchDistinct, benchFixed
}

// BenchmarkSearchHTTP measures GET /v1/bundles/search over loopback TCP
// against each store holding the generated catalog: sub-benchmark mix is
// every class at once (the headline), then each class alone, then wrk.
// Each sub-benchmark runs its load once, for a fixed duration, whatever
// b.N: run with -benchtime 1x. ns/op is wall time per request (1/req/s).
func BenchmarkSearchHTTP(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) catalog.Store
	}{
		{"sqlite", func(b *testing.B) catalog.Store {
			path := sqliteFixture(b, catalogForBench, *flagRepos, *flagVersions)
			st, err := sqlite.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			return st
		}},
		{"postgres", func(b *testing.B) catalog.Store {
			dsn := postgresFixture(b, catalogForBench, *flagRepos, *flagVersions, *flagDrop)
			st, err := postgres.Open(context.Background(), dsn)
			if err != nil {
				b.Fatal(err)
			}
			return st
		}},
	}
	modes := strings.Split(*flagModes, ",")
	for _, m := range modes {
		if !slices.Contains([]string{"engine", "engine-cached", "sql", "sql-cached"}, m) {
			b.Fatalf("-benchsearch.modes: %q: want engine, engine-cached, sql or sql-cached", m)
		}
	}
	queriesForBench()
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			st := s.open(b)
			b.Cleanup(func() { st.Close() }) // after the servers' cleanups, which run first
			releaseCatalog()
			var engine *search.Engine
			for _, mode := range modes {
				view := st
				if strings.HasPrefix(mode, "engine") {
					if engine == nil {
						engine = loadEngine(b, st)
					}
					view = engine.Store(st)
				}
				if strings.HasSuffix(mode, "-cached") {
					view = searchcache.New(view, searchcache.Options{})
				}
				b.Run(mode, func(b *testing.B) { benchStore(b, s.name+" "+mode, view) })
			}
		})
	}
}

// BenchmarkSearchHTTPGenerated is BenchmarkSearchHTTP with the engine
// loaded straight from the generator, no database: for catalogs too big
// to load into a store in reasonable time (-benchsearch.repos=200000 is
// 1M versions). Only searches are served.
func BenchmarkSearchHTTPGenerated(b *testing.B) {
	queriesForBench()
	feed := &generatedFeed{cat: catalogForBench()}
	name := fmt.Sprintf("generated %dk engine", feed.cat.Versions()/1000)
	e := loadEngine(b, feed)
	feed.cat = nil // the engine holds its own copy of what it serves
	releaseCatalog()
	benchStore(b, name, e.Store(nil))
}

// generatedFeed is a change feed over a generated catalog that never
// changes.
type generatedFeed struct{ cat *Catalog }

func (f *generatedFeed) Listed(_ context.Context, each func(*catalog.Bundle) error) (int64, error) {
	for i := range f.cat.Repos {
		r := &f.cat.Repos[i]
		b := &catalog.Bundle{Repository: r.Versions[0].Repository, Latest: r.Versions[r.Latest], Versions: len(r.Versions), Downloads: r.Downloads}
		for _, v := range r.Versions {
			if v.PublishedAt.After(b.UpdatedAt) {
				b.UpdatedAt = v.PublishedAt
			}
		}
		if err := each(b); err != nil {
			return 0, err
		}
	}
	return 1, nil
}

func (f *generatedFeed) Changes(_ context.Context, after int64, _ int) (int64, []catalog.Change, error) {
	return after, nil, nil
}

// loadEngine builds mpakd's search engine over st and reports how long
// that took and the heap it holds.
func loadEngine(b *testing.B, st any) *search.Engine {
	b.Helper()
	feed, ok := st.(catalog.ChangeFeed)
	if !ok {
		b.Fatalf("%T has no change feed", st)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	e, err := search.New(context.Background(), feed, search.Options{})
	if err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	es := e.Stats()
	fmt.Printf("engine built in %v: %d bundles, %d words, %d postings; heap %.0f MB (Go heap in use after GC, engine included: +%.0f MB)\n",
		took.Round(time.Millisecond), es.Bundles, es.Words, es.Postings,
		float64(after.HeapInuse)/1e6, (float64(after.HeapInuse)-float64(before.HeapInuse))/1e6)
	return e
}

// benchStore loads one server over st: the mix, then each class alone.
// With distinct queries every request of the run (warm-ups included) is a
// query not sent before.
func benchStore(b *testing.B, name string, st catalog.Store) {
	base := serve(b, st)
	c := newClient(*flagClients)
	var (
		mix      picker
		alone    = map[string]picker{}
		names    []string
		matches  map[string]string
		wrkPaths = map[string]string{}
		streams  map[string]*stream
	)
	switch *flagQueries {
	case "distinct":
		gen, _ := queriesForBench()
		streams = map[string]*stream{}
		var samples []querySpec
		for _, cl := range distinctClasses {
			qs := gen[cl]
			// The match counts come from queries past any run's reach, so
			// a cache never sees them first.
			samples = append(samples, qs[len(qs)-100:]...)
			streams[cl] = &stream{qs: qs[:len(qs)-100]}
			alone[cl] = distinct(streams, cl)
		}
		names, mix = distinctClasses, distinct(streams, distinctClasses...)
		matches = classMatches(b, base, samples)
	case "fixed":
		_, qs := queriesForBench()
		names, mix = classes, uniform(qs)
		for _, cl := range classes {
			alone[cl] = uniform(only(qs, cl))
		}
		for _, cl := range []string{classSelective, classBroad} {
			wrkPaths[cl] = only(qs, cl)[0].path
		}
		matches = classMatches(b, base, qs)
	default:
		b.Fatalf("-benchsearch.queries=%s: want distinct or fixed", *flagQueries)
	}

	measure := func(b *testing.B, class string, pick picker, d time.Duration) {
		runLoad(context.Background(), c, base, pick, *flagClients, *flagWarmup)
		r := runLoad(context.Background(), c, base, pick, *flagClients, d)
		if r.errors > 0 {
			b.Fatalf("%d failed requests, the first: %v", r.errors, r.firstErr)
		}
		report(b, r.all, r.rate(), r.elapsed)
		b.Logf("| %s | %s | %.2f | %.2f | %.2f | %.2f | %.0f | %s |", name, class,
			percentile(r.all, .5), percentile(r.all, .95), percentile(r.all, .99), percentile(r.all, 1),
			r.rate(), matches[class])
		if class == "mix" {
			for _, cl := range names {
				l := r.byClass[cl]
				b.Logf("| %s | mix: %s | %.2f | %.2f | %.2f | %.2f | (%d requests) | %s |", name, cl,
					percentile(l, .5), percentile(l, .95), percentile(l, .99), percentile(l, 1), len(l), matches[cl])
			}
		}
	}
	b.Run("mix", func(b *testing.B) { measure(b, "mix", mix, *flagDuration) })
	if *flagClassDur > 0 {
		for _, cl := range names {
			b.Run(cl, func(b *testing.B) { measure(b, cl, alone[cl], *flagClassDur) })
		}
	}
	for cl, s := range streams {
		if n := s.wrapped.Load(); n > 0 {
			b.Errorf("%s: %d queries were sent a second time: raise -benchsearch.distinct above %d", cl, n, len(s.qs))
		} else {
			b.Logf("%s: %d of %d distinct queries sent, none twice", cl, s.next.Load(), len(s.qs))
		}
	}
	if *flagWrk > 0 {
		for cl, path := range wrkPaths {
			b.Run("wrk-"+cl, func(b *testing.B) { runWrk(b, base+path) })
		}
	}
}

func report(b *testing.B, sorted []time.Duration, rate float64, elapsed time.Duration) {
	b.ReportMetric(0, "ns/op")
	if len(sorted) > 0 {
		b.ReportMetric(float64(elapsed.Nanoseconds())/float64(len(sorted)), "ns/op")
	}
	b.ReportMetric(percentile(sorted, .5), "p50-ms")
	b.ReportMetric(percentile(sorted, .95), "p95-ms")
	b.ReportMetric(percentile(sorted, .99), "p99-ms")
	b.ReportMetric(rate, "req/s")
}

func only(qs []querySpec, class string) []querySpec {
	var out []querySpec
	for _, q := range qs {
		if q.class == class {
			out = append(out, q)
		}
	}
	return out
}

// classMatches sends each query once and summarizes how many bundles each
// class's queries match (min–max of the totals).
func classMatches(b *testing.B, base string, qs []querySpec) map[string]string {
	b.Helper()
	client := newClient(1)
	lo, hi := map[string]int{}, map[string]int{}
	for _, q := range qs {
		res, err := get(client, base+q.path)
		if err != nil {
			b.Fatal(err)
		}
		if v, ok := lo[q.class]; !ok || res.Total < v {
			lo[q.class] = res.Total
		}
		hi[q.class] = max(hi[q.class], res.Total)
	}
	out := map[string]string{"mix": "all of the below"}
	for cl := range lo {
		out[cl] = strconv.Itoa(lo[cl]) + "–" + strconv.Itoa(hi[cl])
	}
	b.Logf("| store | class | p50 ms | p95 ms | p99 ms | max ms | req/s | matches |")
	return out
}

var (
	wrkRate = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkP    = regexp.MustCompile(`(?m)^\s+(50|99)(?:\.000)?%\s+([0-9.]+)(us|ms|s)\b`)
)

// runWrk runs wrk (2 threads, as many connections as load clients) at one
// URL as a cross-check of the Go load generator, when wrk is installed.
func runWrk(b *testing.B, u string) {
	path, err := exec.LookPath("wrk")
	if err != nil {
		b.Skip("wrk is not installed (apt-get install wrk)")
	}
	secs := strconv.Itoa(max(1, int(flagWrk.Seconds())))
	out, err := exec.Command(path, "-t2", "-c"+strconv.Itoa(*flagClients), "-d"+secs+"s", "--latency", u).CombinedOutput()
	if err != nil {
		b.Fatalf("wrk: %v\n%s", err, out)
	}
	b.ReportMetric(0, "ns/op")
	if m := wrkRate.FindSubmatch(out); m != nil {
		rate, _ := strconv.ParseFloat(string(m[1]), 64)
		b.ReportMetric(rate, "req/s")
	}
	for _, m := range wrkP.FindAllSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(string(m[2]), 64)
		switch string(m[3]) {
		case "us":
			v /= 1000
		case "s":
			v *= 1000
		}
		b.ReportMetric(v, "p"+string(m[1])+"-ms")
	}
	if strings.Contains(string(out), "Non-2xx") {
		b.Fatalf("wrk saw failures:\n%s", out)
	}
	b.Logf("wrk %s\n%s", u, out)
}
