package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/postgres"
	"github.com/mpak-oci/mpak/registry/catalog/postgres/pgtest"
	"github.com/mpak-oci/mpak/registry/catalog/storetest"
)

func open(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	pgtest.DSN(t) // one skip for the suite, not one per subtest
	storetest.Run(t, func(t *testing.T) catalog.Store { return open(t, pgtest.NewSchema(t)) })
}

// Two stores on one database are two mpakd replicas: started together,
// they migrate once; counting through both at once loses nothing; they
// answer searches alike.
func TestReplicas(t *testing.T) {
	dsn := pgtest.NewSchema(t)
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
		v := &catalog.Version{Repository: name, Version: "1.0.0", Name: name[5:], Description: "weather " + name[5:],
			Builds: []catalog.Build{{Platform: "any", LayerDigest: "sha256:" + name}}, IndexedAt: time.Now()}
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
					batch := []catalog.Download{
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

	for _, q := range []catalog.Query{{Text: "weather"}, {}, {Text: "maps"}, {Sort: catalog.SortName, Limit: 2, Offset: 1}} {
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
	dsn := pgtest.NewSchema(t)
	a, b := open(t, dsn), open(t, dsn)
	defer a.Close()
	defer b.Close()
	var wg sync.WaitGroup
	const n = 20
	for i := range n {
		s := []*postgres.Store{a, b}[i%2]
		wg.Go(func() {
			v := &catalog.Version{Repository: "acme/race", Version: fmt.Sprintf("1.%d.0", i), Description: fmt.Sprintf("release%d", i)}
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
	res, err := b.Search(t.Context(), catalog.Query{Text: fmt.Sprintf("release%d", n-1)})
	if err != nil || res.Total != 1 {
		t.Errorf("search for the latest's text: %+v, %v; want the bundle", res, err)
	}
}

func TestOpenErrors(t *testing.T) {
	dsn := pgtest.DSN(t)
	if _, err := postgres.Open(t.Context(), pgtest.WithSearchPath(t, dsn, "mpak_test_no_such_schema")); err == nil ||
		!strings.Contains(err.Error(), "CREATE SCHEMA") {
		t.Errorf("Open with a missing schema: %v, want an error saying to create it", err)
	}
	if _, err := postgres.Open(t.Context(), "postgres://nobody:wrong@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"); err == nil {
		t.Error("Open of an unreachable server succeeded")
	}
}

// A lock taken through one replica holds off another; a replica that goes
// away (its connections closed, as when it crashes) releases its locks.
func TestLockAcrossReplicas(t *testing.T) {
	dsn := pgtest.NewSchema(t)
	a, b := open(t, dsn), open(t, dsn)
	defer a.Close()
	defer b.Close()
	key := catalog.VersionLockKey("acme/weather", "1.0.0")
	unlockA, err := a.Lock(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer unlockA()
	short, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := b.Lock(short, key); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("replica b took a lock replica a holds: %v", err)
	}
	// Another schema on the same database is another catalog.
	other := open(t, pgtest.NewSchema(t))
	defer other.Close()
	soon, cancelSoon := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancelSoon()
	unlockOther, err := other.Lock(soon, key)
	if err != nil {
		t.Fatalf("a catalog in another schema waited for this one's lock: %v", err)
	}
	unlockOther()

	got := make(chan error, 1)
	go func() {
		unlock, err := b.Lock(t.Context(), key)
		if err == nil {
			unlock()
		}
		got <- err
	}()
	// The holder's session dies without unlocking, as when its replica
	// crashes or loses the network.
	admin, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(t.Context())
	var killed int
	if err := admin.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND ((classid::bigint << 32) | objid::bigint) = $1`, postgres.LockID(a, key)).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed != 1 {
		t.Fatalf("terminated %d sessions holding the lock, want 1", killed)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the lock of a closed replica was never released")
	}
}

// Catalogs written before publication meant first-seen hold the bundles'
// created annotations: the zip epoch for reproducible packs. Migrating
// gives those (and unknown or impossible times) the indexing time, and
// keeps real build times.
func TestMigrateFirstSeen(t *testing.T) {
	dsn := pgtest.NewSchema(t)
	s := open(t, dsn)
	indexed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	built := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	epoch := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	future := indexed.Add(time.Hour)
	old := map[string]*time.Time{ // repository → published_at as an older mpakd stored it
		"acme/epoch":  &epoch,
		"acme/built":  &built,
		"acme/future": &future,
		"acme/none":   nil,
	}
	for repository := range old {
		if err := s.PutVersion(t.Context(), &catalog.Version{Repository: repository, Version: "1.0.0", Name: "x", IndexedAt: indexed}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	for repository, published := range old {
		if _, err := conn.Exec(t.Context(), `UPDATE versions SET published_at = $1 WHERE repository = $2`, published, repository); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.Exec(t.Context(), `DELETE FROM schema_migrations WHERE version = 9`); err != nil {
		t.Fatal(err)
	}
	conn.Close(t.Context())

	s = open(t, dsn)
	defer s.Close()
	storetest.WantFirstSeen(t, s, slices.Collect(maps.Keys(old)), indexed, built)
}
