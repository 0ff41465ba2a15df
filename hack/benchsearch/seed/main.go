// Command seed fills a catalog with the benchmark's generated bundles, so
// that a real mpakd serves them and anyone can load-test it with their own
// tool:
//
//	go run ./hack/benchsearch/seed -versions 100000 -data DIR
//	mpakd serve --data DIR
//
// or, for PostgreSQL (the schema is the DSN's search_path; replicas share
// it):
//
//	go run ./hack/benchsearch/seed -versions 100000 -db 'postgres://…'
//	mpakd serve --data DIR --db 'postgres://…'
//
// The catalog is what hack/benchsearch measures (5 versions per
// repository; see BENCHMARKS.md): searchable, with download counts, but
// the registry behind it holds no blobs, so pulls of these versions fail.
// It loads through the store's PutVersion and AddDownloads, into an empty
// catalog only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/mpak-oci/mpak/hack/benchsearch"
	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/postgres"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
)

func main() {
	versions := flag.Int("versions", 100_000, "versions to generate (5 per repository)")
	data := flag.String("data", "", "mpakd's data directory: the catalog goes to its index.db (SQLite)")
	db := flag.String("db", "", "a postgres:// URL: the catalog goes there instead")
	seed := flag.Uint64("seed", 20260801, "the generator's seed (the benchmark's by default)")
	workers := flag.Int("workers", 4, "concurrent writers (PostgreSQL; SQLite has one writer)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *versions, *data, *db, *seed, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, versions int, data, db string, seed uint64, workers int) error {
	const perRepo = 5
	if versions < perRepo {
		return fmt.Errorf("-versions %d: want at least %d", versions, perRepo)
	}
	var (
		st  catalog.Store
		err error
	)
	switch {
	case db != "":
		st, err = postgres.Open(ctx, db)
	case data != "":
		if err := os.MkdirAll(data, 0o755); err != nil {
			return err
		}
		// The file mpakd serve --data opens.
		st, err = sqlite.Open(filepath.Join(data, "index.db"))
		workers = 1
	default:
		return errors.New("name the catalog: -data DIR (SQLite, as mpakd serve --data DIR opens it) or -db postgres://…")
	}
	if err != nil {
		return err
	}
	defer st.Close()
	if res, err := st.Search(ctx, catalog.Query{Limit: 1}); err != nil {
		return err
	} else if res.Total > 0 {
		return fmt.Errorf("the catalog already lists %d bundles: seed an empty one (a new -data directory or database schema)", res.Total)
	}

	start := time.Now()
	cat := benchsearch.Generate(seed, versions/perRepo, perRepo)
	fmt.Fprintf(os.Stderr, "generated %d repositories, %d versions in %v; loading\n", len(cat.Repos), cat.Versions(), time.Since(start).Round(time.Millisecond))
	err = benchsearch.Load(ctx, st, cat, workers, func(done int) {
		fmt.Fprintf(os.Stderr, "  %d/%d repositories (%v)\n", done, len(cat.Repos), time.Since(start).Round(time.Second))
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "loaded %d versions and %d download rows in %v\n", cat.Versions(), len(cat.Downloads), time.Since(start).Round(time.Second))
	return nil
}
