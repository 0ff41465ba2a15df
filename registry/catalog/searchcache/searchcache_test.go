package searchcache_test

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/searchcache"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
)

func version(repository, ver, description string) *catalog.Version {
	return &catalog.Version{
		Repository: repository, Version: ver, Tag: ver,
		Digest:      "sha256:" + repeat64(repository+ver),
		Name:        filepath.Base(repository),
		Description: description,
		ServerType:  "node", ManifestVersion: "0.3",
		Builds: []catalog.Build{{Platform: "any", ManifestDigest: "sha256:" + repeat64("m"+repository+ver),
			LayerDigest: "sha256:" + repeat64("l"+repository+ver), Size: 1}},
	}
}

// repeat64 is 64 hex characters derived from s, enough for a digest that
// the stores only compare.
func repeat64(s string) string {
	const hex = "0123456789abcdef"
	out := make([]byte, 64)
	for i := range out {
		out[i] = hex[(int(s[i%len(s)])+i)%16]
	}
	return string(out)
}

// open returns two handles on one SQLite file, as two processes (mpakd and
// a concurrent mpakd reindex, say) would have.
func open(t *testing.T) (a, b catalog.Store) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "index.db")
	for _, s := range []*catalog.Store{&a, &b} {
		st, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		*s = st
	}
	return a, b
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func search(t *testing.T, s catalog.Store, q catalog.Query) *catalog.Results {
	t.Helper()
	res, err := s.Search(t.Context(), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	return res
}

func TestRepeatedSearchIsAHit(t *testing.T) {
	st, _ := open(t)
	if err := st.PutVersion(t.Context(), version("acme/weather", "1.0.0", "forecasts")); err != nil {
		t.Fatal(err)
	}
	c := searchcache.New(st, searchcache.Options{})
	first := search(t, c, catalog.Query{Text: "weather"})
	if first.Total != 1 {
		t.Fatalf("total %d, want 1", first.Total)
	}
	// Same terms, differently written: one entry.
	second := search(t, c, catalog.Query{Text: "  WEATHER "})
	if second != first {
		t.Errorf("a repeated search was computed again")
	}
	if hits, misses := c.Counts(); hits != 1 || misses != 1 {
		t.Errorf("hits %d, misses %d, want 1 and 1", hits, misses)
	}
	// Another page, sort or filter is another entry.
	for _, q := range []catalog.Query{{Text: "weather", Offset: 1}, {Text: "weather", Sort: catalog.SortName}, {Text: "weather", Type: "python"}} {
		if res := search(t, c, q); res == first {
			t.Errorf("Search(%+v) answered with the page of another query", q)
		}
	}
	if _, err := c.Search(t.Context(), catalog.Query{Sort: "sideways"}); err == nil {
		t.Error("an invalid query was not refused")
	}
}

// A version indexed through another handle (another replica, or mpakd
// reindex) is visible through the cache at once.
func TestWritesElsewhereInvalidate(t *testing.T) {
	a, b := open(t)
	c := searchcache.New(a, searchcache.Options{TTL: time.Hour})
	if res := search(t, c, catalog.Query{Text: "weather"}); res.Total != 0 {
		t.Fatalf("total %d before any write", res.Total)
	}
	if err := b.PutVersion(t.Context(), version("acme/weather", "1.0.0", "forecasts")); err != nil {
		t.Fatal(err)
	}
	res := search(t, c, catalog.Query{Text: "weather"})
	if res.Total != 1 || res.Bundles[0].Latest.Version != "1.0.0" {
		t.Fatalf("after a put elsewhere: %+v, want acme/weather 1.0.0", res)
	}
	if err := b.PutVersion(t.Context(), version("acme/weather", "1.1.0", "forecasts")); err != nil {
		t.Fatal(err)
	}
	if res := search(t, c, catalog.Query{Text: "weather"}); res.Bundles[0].Latest.Version != "1.1.0" {
		t.Errorf("after a newer version elsewhere, latest %s, want 1.1.0", res.Bundles[0].Latest.Version)
	}
	if err := b.DeleteVersion(t.Context(), "acme/weather", "1.1.0"); err != nil {
		t.Fatal(err)
	}
	if res := search(t, c, catalog.Query{Text: "weather"}); res.Bundles[0].Latest.Version != "1.0.0" {
		t.Errorf("after a delete elsewhere, latest %s, want 1.0.0", res.Bundles[0].Latest.Version)
	}
}

// Downloads do not invalidate; they show once the page is TTL old.
func TestDownloadCountsAgeOut(t *testing.T) {
	st, _ := open(t)
	ctx := t.Context()
	for _, r := range []string{"acme/a", "acme/b"} {
		if err := st.PutVersion(ctx, version(r, "1.0.0", "tool")); err != nil {
			t.Fatal(err)
		}
	}
	clk := &clock{now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	c := searchcache.New(st, searchcache.Options{TTL: 5 * time.Second, Now: clk.Now})
	q := catalog.Query{Sort: catalog.SortDownloads}
	if got := search(t, c, q).Bundles[0].Repository; got != "acme/a" {
		t.Fatalf("first by downloads with none: %s, want acme/a (by name)", got)
	}
	if err := st.AddDownloads(ctx, []catalog.Download{{Repository: "acme/b", Version: "1.0.0", Platform: "any", Day: clk.Now(), Count: 7}}); err != nil {
		t.Fatal(err)
	}
	clk.add(4 * time.Second)
	if got := search(t, c, q).Bundles[0].Repository; got != "acme/a" {
		t.Errorf("within the TTL the cached order changed to %s first", got)
	}
	clk.add(2 * time.Second)
	res := search(t, c, q)
	if res.Bundles[0].Repository != "acme/b" || res.Bundles[0].Downloads != 7 {
		t.Errorf("after the TTL: first %s with %d downloads, want acme/b with 7", res.Bundles[0].Repository, res.Bundles[0].Downloads)
	}
}

// Concurrent searches and writes: every answer is a consistent page (run
// with -race).
func TestConcurrent(t *testing.T) {
	a, b := open(t)
	c := searchcache.New(a, searchcache.Options{Size: 8})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 50 {
				res, err := c.Search(t.Context(), catalog.Query{Text: "tool", Offset: j % 3})
				if err != nil {
					t.Error(err)
					return
				}
				if len(res.Bundles) > res.Total {
					t.Errorf("worker %d: %d bundles of a total of %d", i, len(res.Bundles), res.Total)
				}
			}
		})
	}
	for j := range 20 {
		if err := b.PutVersion(t.Context(), version("acme/r"+string(rune('a'+j)), "1.0.0", "tool")); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if res := search(t, c, catalog.Query{Text: "tool"}); res.Total != 20 {
		t.Errorf("after the writes: total %d, want 20", res.Total)
	}
}
