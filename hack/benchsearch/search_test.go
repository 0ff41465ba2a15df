package benchsearch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/postgres"
	"github.com/mpak-oci/mpak/registry/catalog/searchcache"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/search"
)

// TestSearchHTTP is the quick check `make test` runs: a 1k-version
// catalog (200 repositories × 5) in each store, searched over HTTP, with
// the answers checked against the generator's own data, and a short run of
// the load generator over every query class.
func TestSearchHTTP(t *testing.T) {
	cat := Generate(seed, 200, 5)
	if n := cat.Versions(); n != 1000 {
		t.Fatalf("generated %d versions, want 1000", n)
	}
	if again := Generate(seed, 200, 5); again.Repos[137].Versions[3].Description != cat.Repos[137].Versions[3].Description {
		t.Fatal("the generator is not deterministic")
	}

	t.Run("sqlite", func(t *testing.T) {
		st, err := sqlite.Open(":memory:")
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		checkStore(t, st, cat)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := os.Getenv(postgresEnv)
		if dsn == "" {
			t.Skip(postgresEnv + " is not set")
		}
		ctx := context.Background()
		var b [6]byte
		rand.Read(b[:])
		schema := "mpak_benchsearch_test_" + hex.EncodeToString(b[:])
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
			t.Fatal(err)
		}
		defer conn.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`)
		st, err := postgres.Open(ctx, withParam(withParam(dsn, "search_path", schema), "synchronous_commit", "off"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		checkStore(t, st, cat)
	})
}

func checkStore(t *testing.T, st catalog.Store, cat *Catalog) {
	ctx := context.Background()
	start := time.Now()
	if err := Load(ctx, st, cat, 1, nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded %d versions in %s", cat.Versions(), time.Since(start).Round(time.Millisecond))
	t.Run("store", func(t *testing.T) { checkAnswers(t, serve(t, st), cat) })
	// Through mpakd's search engine, loaded from the store.
	t.Run("engine", func(t *testing.T) {
		e, err := search.New(ctx, st.(catalog.ChangeFeed), search.Options{})
		if err != nil {
			t.Fatal(err)
		}
		srv := serve(t, e.Store(st))
		checkAnswers(t, srv, cat)
		// The distinct queries are distinct, of every class, and answer.
		gen := distinctQueries(cat, 300, seed)
		seen := map[string]bool{}
		c := newClient(1)
		for _, cl := range distinctClasses {
			if len(gen[cl]) != 300 {
				t.Errorf("%d distinct %s queries, want 300", len(gen[cl]), cl)
			}
			for i, q := range gen[cl] {
				if seen[q.path] {
					t.Errorf("%s repeats", q.path)
				}
				seen[q.path] = true
				if i < 20 {
					res, err := get(c, srv+q.path)
					if err != nil {
						t.Fatal(err)
					}
					if cl != distinctBroad && res.Total == 0 {
						t.Errorf("%s %s matches nothing, but its words are one bundle's", cl, q.path)
					}
				}
			}
		}
	})
	// Through mpakd's search cache: the first round fills it, the second
	// is answered from it, and both must be right.
	cached := serve(t, searchcache.New(st, searchcache.Options{}))
	t.Run("cache-fill", func(t *testing.T) { checkAnswers(t, cached, cat) })
	t.Run("cache-hit", func(t *testing.T) { checkAnswers(t, cached, cat) })
}

// checkAnswers checks a search server's answers against the generator's
// data.
func checkAnswers(t *testing.T, base string, cat *Catalog) {
	c := newClient(4)
	search := func(params url.Values) *searchPage {
		t.Helper()
		res, err := get(c, base+"/v1/bundles/search?"+params.Encode())
		if err != nil {
			t.Fatal(err)
		}
		p := &searchPage{total: res.Total, hasMore: res.Pagination.HasMore}
		for _, b := range res.Bundles {
			p.repos = append(p.repos, b.Repository)
			p.versions = append(p.versions, b.Version)
			p.types = append(p.types, b.ServerType)
			p.downloads = append(p.downloads, b.Downloads)
		}
		return p
	}
	latest := map[string]*catalog.Version{}
	downloads := map[string]int64{}
	for i := range cat.Repos {
		r := &cat.Repos[i]
		v := &r.Versions[r.Latest]
		latest[v.Repository] = v
		downloads[v.Repository] = r.Downloads
	}

	// Text: the total is every bundle whose latest version has a word
	// starting with the term (one term is also the last, so a prefix), and
	// the page shows latest versions of those only.
	for _, w := range append(cat.WordsByDF(60, 200, 2), append(cat.WordsByDF(5, 20, 2), cat.WordsByDF(1, 1, 2)...)...) {
		want := map[string]bool{}
		for repo, v := range latest {
			for word := range TextWords(v) {
				if strings.HasPrefix(word, w) {
					want[repo] = true
				}
			}
		}
		p := search(url.Values{"q": {w}, "limit": {"100"}})
		if p.total != len(want) {
			t.Errorf("q=%s: total %d, want %d", w, p.total, len(want))
		}
		for i, repo := range p.repos {
			if !want[repo] {
				t.Errorf("q=%s: %s matched, but its latest version has no such word", w, repo)
			} else if p.versions[i] != latest[repo].Version {
				t.Errorf("q=%s: %s shows %s, want the latest %s", w, repo, p.versions[i], latest[repo].Version)
			}
		}
	}

	// Filters.
	wantPython := 0
	for _, v := range latest {
		if v.ServerType != "python" {
			continue
		}
		for _, b := range v.Builds {
			if b.Platform == "any" || strings.HasPrefix(b.Platform, "linux/") {
				wantPython++
				break
			}
		}
	}
	p := search(url.Values{"type": {"python"}, "os": {"linux"}, "limit": {"100"}})
	if p.total != wantPython || slices.ContainsFunc(p.types, func(s string) bool { return s != "python" }) {
		t.Errorf("type=python&os=linux: total %d, types %v; want %d python bundles", p.total, p.types, wantPython)
	}

	// Empty query by downloads: the generator's totals, most first.
	var most int64
	for _, d := range downloads {
		most = max(most, d)
	}
	p = search(url.Values{"sort": {"downloads"}})
	if p.total != len(cat.Repos) || len(p.downloads) == 0 || p.downloads[0] != most ||
		!slices.IsSortedFunc(p.downloads, func(a, b int64) int { return int(b - a) }) {
		t.Errorf("sort=downloads: total %d, downloads %v; want %d bundles, %d first, descending", p.total, p.downloads, len(cat.Repos), most)
	}
	for i, repo := range p.repos {
		if p.downloads[i] != downloads[repo] {
			t.Errorf("sort=downloads: %s has %d downloads, want %d", repo, p.downloads[i], downloads[repo])
		}
	}

	// Page 2 continues page 1.
	w := cat.WordsByDF(60, 200, 1)[0]
	one, two := search(url.Values{"q": {w}}), search(url.Values{"q": {w}, "offset": {"20"}})
	all := search(url.Values{"q": {w}, "limit": {"40"}})
	if !slices.Equal(append(one.repos, two.repos...), all.repos) || !one.hasMore {
		t.Errorf("q=%s: pages 1 and 2 %v + %v are not the first 40 %v", w, one.repos, two.repos, all.repos)
	}

	// Every class's queries answer, a few of each, from concurrent clients
	// (a fixed count, not a duration: the assertion must not depend on how
	// fast a shared machine is).
	perClass := map[string][]querySpec{}
	for _, q := range queries(cat) {
		if len(perClass[q.class]) < 3 {
			perClass[q.class] = append(perClass[q.class], q)
		}
	}
	var wg sync.WaitGroup
	for _, cl := range classes {
		if len(perClass[cl]) == 0 {
			t.Errorf("load: the query mix has no %s query", cl)
		}
		for _, q := range perClass[cl] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := c.Get(base + q.path)
				if err != nil {
					t.Errorf("%s query %s: %v", cl, q.path, err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("%s query %s: %s", cl, q.path, resp.Status)
				}
			}()
		}
	}
	wg.Wait()
}

type searchPage struct {
	total     int
	hasMore   bool
	repos     []string
	versions  []string
	types     []string
	downloads []int64
}
