package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mpak-oci/mpak/registry/index"
	"github.com/mpak-oci/mpak/registry/index/postgres"
	"github.com/mpak-oci/mpak/registry/index/storetest"
)

// dsnEnv names the database the tests use. They create and drop schemas in
// it, never touching anything else.
const dsnEnv = "MPAK_TEST_POSTGRES"

// testDSN returns the test database's DSN, or ends the test: fatally in CI,
// where .ci/run starts PostgreSQL, and as a loud skip elsewhere.
func testDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn != "" {
		return dsn
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(dsnEnv + " is not set: .ci/run should have started PostgreSQL")
	}
	loud := false
	bannerOnce.Do(func() { loud = true })
	if !loud {
		t.Skip(dsnEnv + " is not set: the PostgreSQL store is untested (see the banner above)")
	}
	t.Skip(`
************************************************************************
* THE POSTGRESQL CONFORMANCE SUITE DID NOT RUN: ` + dsnEnv + ` is not set.
* Run it against a database you can create schemas in, for example:
*   ` + dsnEnv + `='postgres://mpak:mpak@127.0.0.1:5432/mpak_test?sslmode=disable' \
*     go test ./registry/index/postgres/
* (.ci/run installs and starts a local PostgreSQL and sets it for you.)
************************************************************************`)
	return ""
}

// bannerOnce makes the first skip explain, and the others refer to it.
var bannerOnce sync.Once

// newSchema creates a uniquely named, empty schema for one test, dropped
// when the test ends, and returns a DSN whose search_path selects it: test
// runs and tests sharing the database never see each other's tables.
func newSchema(t *testing.T) string {
	t.Helper()
	dsn := testDSN(t)
	var b [6]byte
	rand.Read(b[:])
	schema := fmt.Sprintf("mpak_test_%d_%s", os.Getpid(), hex.EncodeToString(b[:]))

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting to %s: %v", dsnEnv, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("creating schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return withSearchPath(t, dsn, schema)
}

// withSearchPath adds search_path to a URL or key=value DSN.
func withSearchPath(t *testing.T, dsn, schema string) string {
	if !strings.Contains(dsn, "://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("%s is not a valid URL: %v", dsnEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func open(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	testDSN(t) // one skip for the suite, not one per subtest
	storetest.Run(t, func(t *testing.T) index.Store { return open(t, newSchema(t)) })
}

// Two stores on one database are two mpakd replicas: started together,
// they migrate once; counting through both at once loses nothing; they
// answer searches alike.
func TestReplicas(t *testing.T) {
	dsn := newSchema(t)
	var replicas [3]*postgres.Store
	errs := make([]error, len(replicas))
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() { replicas[i], errs[i] = postgres.Open(t.Context(), dsn) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		defer replicas[i].Close()
	}
	a, b := replicas[0], replicas[1]

	for i, name := range []string{"acme/weather", "acme/travel", "acme/maps"} {
		s := replicas[i%2]
		v := &index.Version{Repository: name, Version: "1.0.0", Name: name[5:], Description: "weather " + name[5:],
			Builds: []index.Build{{Platform: "any", LayerDigest: "sha256:" + name}}, IndexedAt: time.Now()}
		if err := s.PutVersion(t.Context(), v); err != nil {
			t.Fatal(err)
		}
	}

	const perReplica, batches = 4, 30
	wg = sync.WaitGroup{}
	fail := make(chan error, 2*perReplica)
	for _, s := range []*postgres.Store{a, b} {
		for w := range perReplica {
			wg.Go(func() {
				for i := range batches {
					batch := []index.Download{
						{Repository: "acme/weather", Version: "1.0.0", Platform: "any", Count: 1},
						{Repository: "acme/travel", Version: "1.0.0", Platform: "linux/amd64", Count: 2},
					}
					if (w+i)%2 == 0 {
						batch[0], batch[1] = batch[1], batch[0]
					}
					if err := s.AddDownloads(t.Context(), batch); err != nil {
						fail <- err
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(fail)
	for err := range fail {
		t.Fatalf("AddDownloads: %v", err)
	}

	const n = 2 * perReplica * batches
	for i, s := range []*postgres.Store{a, b} {
		w, err := s.Stats(t.Context(), "acme/weather")
		if err != nil {
			t.Fatal(err)
		}
		tr, err := s.Stats(t.Context(), "acme/travel")
		if err != nil {
			t.Fatal(err)
		}
		if w.Total != n || tr.Total != 2*n {
			t.Errorf("replica %d: weather %d, travel %d downloads; want %d and %d", i, w.Total, tr.Total, n, 2*n)
		}
	}

	for _, q := range []index.Query{{Text: "weather"}, {}, {Text: "maps"}, {Sort: index.SortName, Limit: 2, Offset: 1}} {
		ra, err := a.Search(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := b.Search(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ra, rb) {
			t.Errorf("search %+v differs between replicas:\n%+v\n%+v", q, ra, rb)
		}
		if q.Text == "" && q.Sort == "" && (len(ra.Bundles) != 3 || ra.Bundles[0].Repository != "acme/travel") {
			t.Errorf("search %+v: %+v, want all three, acme/travel (most downloaded) first", q, ra.Bundles)
		}
	}

	// Migrations ran once, whichever replica got there first.
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var migrations, distinct int
	if err := conn.QueryRow(t.Context(), `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&migrations, &distinct); err != nil {
		t.Fatal(err)
	}
	if migrations == 0 || migrations != distinct {
		t.Errorf("schema_migrations has %d rows for %d versions, want each version once", migrations, distinct)
	}
}

// Concurrent puts of one repository through two replicas leave the bundle
// consistent: every version counted, the highest one latest.
func TestReplicasPutConcurrently(t *testing.T) {
	dsn := newSchema(t)
	a, b := open(t, dsn), open(t, dsn)
	defer a.Close()
	defer b.Close()
	var wg sync.WaitGroup
	const n = 20
	for i := range n {
		s := []*postgres.Store{a, b}[i%2]
		wg.Go(func() {
			v := &index.Version{Repository: "acme/race", Version: fmt.Sprintf("1.%d.0", i), Description: fmt.Sprintf("release%d", i)}
			if err := s.PutVersion(t.Context(), v); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	bu, err := a.Bundle(t.Context(), "acme/race")
	if err != nil {
		t.Fatal(err)
	}
	if bu.Versions != n || bu.Latest.Version != fmt.Sprintf("1.%d.0", n-1) {
		t.Errorf("after concurrent puts: latest %s of %d versions, want 1.%d.0 of %d", bu.Latest.Version, bu.Versions, n-1, n)
	}
	res, err := b.Search(t.Context(), index.Query{Text: fmt.Sprintf("release%d", n-1)})
	if err != nil || res.Total != 1 {
		t.Errorf("search for the latest's text: %+v, %v; want the bundle", res, err)
	}
}

func TestOpenErrors(t *testing.T) {
	dsn := testDSN(t)
	if _, err := postgres.Open(t.Context(), withSearchPath(t, dsn, "mpak_test_no_such_schema")); err == nil ||
		!strings.Contains(err.Error(), "CREATE SCHEMA") {
		t.Errorf("Open with a missing schema: %v, want an error saying to create it", err)
	}
	if _, err := postgres.Open(t.Context(), "postgres://nobody:wrong@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"); err == nil {
		t.Error("Open of an unreachable server succeeded")
	}
}
