package benchsearch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mpak-oci/mpak/registry/catalog/postgres"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
)

// seed is the generator's seed for every fixture.
const seed = 20260801

// postgresEnv names the PostgreSQL database (the conformance suite's
// variable); the PostgreSQL benchmarks and test skip without it.
const postgresEnv = "MPAK_TEST_POSTGRES"

// fixtureKey names a cached fixture: the generator's version and
// parameters, and the stores' migrations (a schema change rebuilds).
func fixtureKey(repos, versionsPer int) string {
	h := sha256.New()
	fmt.Fprintf(h, "gen=%d seed=%d repos=%d versions=%d\n", GeneratorVersion, seed, repos, versionsPer)
	for _, dir := range []string{"../../registry/catalog/sqlite/migrations", "../../registry/catalog/postgres/migrations"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.sql"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			fmt.Fprintf(h, "%s %x\n", filepath.Base(f), sha256.Sum256(b))
		}
	}
	return fmt.Sprintf("%dx%d-%s", repos, versionsPer, hex.EncodeToString(h.Sum(nil))[:12])
}

// sqliteFixture returns the path of a SQLite database holding the catalog,
// building it if no cached copy exists: under os.TempDir as
// mpak-benchsearch-<key>.db. It is built on /dev/shm when that exists
// (the store syncs every commit, and tmpfs makes syncs free) and then
// copied into place under its final name, so a half-built file is never
// reused.
func sqliteFixture(tb testing.TB, cat func() *Catalog, repos, versionsPer int) string {
	tb.Helper()
	path := filepath.Join(os.TempDir(), "mpak-benchsearch-"+fixtureKey(repos, versionsPer)+".db")
	if _, err := os.Stat(path); err == nil {
		tb.Logf("sqlite: reusing %s", path)
		return path
	}
	buildDir := os.TempDir()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		buildDir = "/dev/shm"
	}
	tmp, err := os.MkdirTemp(buildDir, "mpak-benchsearch-build-")
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	built := filepath.Join(tmp, "index.db")
	st, err := sqlite.Open(built)
	if err != nil {
		tb.Fatal(err)
	}
	c := cat()
	start := time.Now()
	tb.Logf("sqlite: building %s (%d versions) in %s", path, c.Versions(), tmp)
	err = Load(context.Background(), st, c, 1, func(done int) {
		tb.Logf("sqlite: %d/%d repositories, %s", done, len(c.Repos), time.Since(start).Round(time.Second))
	})
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		tb.Fatalf("loading the SQLite fixture: %v", err)
	}
	tb.Logf("sqlite: loaded %d versions in %s", c.Versions(), time.Since(start).Round(time.Millisecond))
	if err := copyFile(built, path+".part"); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(path+".part", path); err != nil {
		tb.Fatal(err)
	}
	return path
}

func copyFile(from, to string) error {
	if _, err := os.Stat(from + "-wal"); err == nil {
		return errors.New(from + "-wal is left after closing the store: not copying a database with a pending WAL")
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// postgresFixture returns a DSN selecting a schema holding the catalog,
// mpak_benchsearch_<key>, building it unless a complete one exists (a
// marker table is written last; an incomplete schema is dropped and
// rebuilt). The schema is kept for the next run; drop is true with
// -benchsearch.drop, and then the schema is dropped when tb ends.
func postgresFixture(tb testing.TB, cat func() *Catalog, repos, versionsPer int, drop bool) string {
	tb.Helper()
	base := os.Getenv(postgresEnv)
	if base == "" {
		tb.Skip(postgresEnv + " is not set: no PostgreSQL to measure (e.g. postgres://mpak:mpak@127.0.0.1:5432/mpak_test?sslmode=disable)")
	}
	ctx := context.Background()
	schema := "mpak_benchsearch_" + strings.ReplaceAll(fixtureKey(repos, versionsPer), "-", "_")
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connecting to %s: %v", postgresEnv, err)
	}
	defer conn.Close(ctx)
	if drop {
		tb.Cleanup(func() {
			conn, err := pgx.Connect(ctx, base)
			if err != nil {
				tb.Errorf("dropping schema %s: %v", schema, err)
				return
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
				tb.Errorf("dropping schema %s: %v", schema, err)
			}
		})
	}
	dsn := withParam(base, "search_path", schema)
	var complete bool
	err = conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.tables
		WHERE table_schema = $1 AND table_name = 'benchsearch_fixture')`, schema).Scan(&complete)
	if err != nil {
		tb.Fatal(err)
	}
	if complete {
		tb.Logf("postgres: reusing schema %s", schema)
		return dsn
	}
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
		tb.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		tb.Fatal(err)
	}
	// Loading only: commits need not wait for the WAL flush.
	st, err := postgres.Open(ctx, withParam(dsn, "synchronous_commit", "off"))
	if err != nil {
		tb.Fatal(err)
	}
	c := cat()
	start := time.Now()
	tb.Logf("postgres: building schema %s (%d versions)", schema, c.Versions())
	err = Load(ctx, st, c, 4, func(done int) {
		tb.Logf("postgres: %d/%d repositories, %s", done, len(c.Repos), time.Since(start).Round(time.Second))
	})
	st.Close()
	if err != nil {
		tb.Fatalf("loading the PostgreSQL fixture: %v", err)
	}
	for _, table := range []string{"versions", "builds", "bundles", "downloads"} {
		if _, err := conn.Exec(ctx, `VACUUM ANALYZE `+schema+`.`+table); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE `+schema+`.benchsearch_fixture (key text)`); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("postgres: loaded %d versions in %s", c.Versions(), time.Since(start).Round(time.Millisecond))
	return dsn
}

// withParam adds a URL query parameter to a postgres:// DSN.
func withParam(dsn, key, value string) string {
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + key + "=" + value
}
