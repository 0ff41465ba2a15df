package benchsearch

import (
	"context"
	"net/url"
	"testing"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/search"
)

// BenchmarkEngine measures the search engine alone, in process: one
// distinct query per iteration of each class, no HTTP, no JSON. It is what
// a request costs mpakd before net/http and encoding (see SearchHTTP for
// those). The catalog is the SQLite fixture's.
func BenchmarkEngine(b *testing.B) {
	path := sqliteFixture(b, catalogForBench, *flagRepos, *flagVersions)
	st, err := sqlite.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	e, err := search.New(context.Background(), st, search.Options{})
	if err != nil {
		b.Fatal(err)
	}
	gen := distinctQueries(catalogForBench(), 50000, seed)
	for _, cl := range distinctClasses {
		var texts []string
		for _, q := range gen[cl] {
			u, _ := url.Parse(q.path)
			texts = append(texts, u.Query().Get("q"))
		}
		b.Run(cl, func(b *testing.B) {
			i := 0
			for b.Loop() {
				if _, err := e.Search(context.Background(), catalog.Query{Text: texts[i%len(texts)]}); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkEngineBuild measures loading the search engine from the SQLite
// fixture: what mpakd's start-up spends on search.
func BenchmarkEngineBuild(b *testing.B) {
	path := sqliteFixture(b, catalogForBench, *flagRepos, *flagVersions)
	st, err := sqlite.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for b.Loop() {
		if _, err := search.New(context.Background(), st, search.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
