package benchsearch

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/registry/catalog/searchcache"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/web"
)

// BenchmarkWebPages times the web UI's pages (server time: the handler
// writing into a recorder, no network) over the 100k-version SQLite
// catalog, with the search cache mpakd puts in front: the home page, a
// broad search, a popular bundle's page, and a signed version's page (with
// its provenance section).
func BenchmarkWebPages(b *testing.B) {
	st, err := sqlite.Open(sqliteFixture(b, catalogForBench, *flagRepos, *flagVersions))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	h := web.New(web.Options{Store: searchcache.New(st, searchcache.Options{})})
	cat := catalogForBench()
	popular := cat.Repos[0].Versions[0].Repository
	signed := ""
	for _, r := range cat.Repos {
		for _, v := range r.Versions {
			if signed == "" && v.Signed {
				signed = "/" + v.Repository + "/v/" + v.Version
			}
		}
	}
	for _, page := range []struct{ name, path, want string }{
		{"home", "/", "Most downloaded"},
		{"search-broad", "/search?q=server", "results for"},
		{"search-filtered", "/search?q=weather&type=python&os=linux&sort=downloads", "results for"},
		{"bundle", "/" + popular, `id="versions"`},
		{"version-signed", signed, "<dt>Attested by</dt>"},
	} {
		b.Run(page.name, func(b *testing.B) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, page.path, nil))
			if !strings.Contains(rec.Body.String(), page.want) {
				b.Fatalf("%s does not show %q: the page measured is not the page meant", page.path, page.want)
			}
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
