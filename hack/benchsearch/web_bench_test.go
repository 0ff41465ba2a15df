package benchsearch

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mpak-oci/mpak/registry/index/searchcache"
	"github.com/mpak-oci/mpak/registry/index/sqlite"
	"github.com/mpak-oci/mpak/registry/web"
)

// BenchmarkWebPages times the web UI's pages (server time: the handler
// writing into a recorder, no network) over the 100k-version SQLite
// catalog, with the search cache mpakd puts in front: the home page, a
// broad search, and a popular bundle's page.
func BenchmarkWebPages(b *testing.B) {
	st, err := sqlite.Open(sqliteFixture(b, catalogForBench, *flagRepos, *flagVersions))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	h := web.New(web.Options{Store: searchcache.New(st, searchcache.Options{})})
	cat := catalogForBench()
	popular := cat.Repos[0].Versions[0].Repository
	for _, page := range []struct{ name, path string }{
		{"home", "/"},
		{"search-broad", "/search?q=server"},
		{"search-filtered", "/search?q=weather&type=python&os=linux&sort=downloads"},
		{"bundle", "/" + popular},
	} {
		b.Run(page.name, func(b *testing.B) {
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, page.path, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", page.path, rec.Code, rec.Body.String()[:min(200, rec.Body.Len())])
				}
				io.Copy(io.Discard, rec.Body)
			}
		})
	}
}
