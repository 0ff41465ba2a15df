package sqlite_test

import (
	"database/sql"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/catalog/storetest"
)

func TestConformanceMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) catalog.Store {
		s, err := sqlite.Open("")
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// The suite again on files: WAL mode, the separate read pool, and the
// writer's transactions are what a server runs.
func TestConformanceFile(t *testing.T) {
	if testing.Short() {
		t.Skip("the in-memory run covers the same behaviour")
	}
	storetest.Run(t, func(t *testing.T) catalog.Store {
		s, err := sqlite.Open(filepath.Join(t.TempDir(), "index.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "with space?and#hash", "index.db")
	if _, err := sqlite.Open(path); err == nil {
		t.Fatal("Open in a missing directory succeeded, want an error")
	}
	path = filepath.Join(t.TempDir(), "with space?and#hash.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	v := &catalog.Version{Repository: "acme/weather", Version: "1.0.0", Name: "weather", Description: "Forecasts",
		IndexedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if err := s.PutVersion(t.Context(), v); err != nil {
		t.Fatal(err)
	}
	if err := s.AddDownloads(t.Context(), []catalog.Download{{Repository: "acme/weather", Version: "1.0.0", Platform: "any", Count: 3}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopening finds everything, and migrating again is a no-op.
	s, err = sqlite.Open(path)
	if err != nil {
		t.Fatalf("reopening: %v", err)
	}
	defer s.Close()
	b, err := s.Bundle(t.Context(), "acme/weather")
	if err != nil {
		t.Fatal(err)
	}
	if b.Downloads != 3 || b.Latest.Description != "Forecasts" {
		t.Errorf("after reopening: %d downloads, description %q; want 3, Forecasts", b.Downloads, b.Latest.Description)
	}
	res, err := s.Search(t.Context(), catalog.Query{Text: "forecasts"})
	if err != nil || res.Total != 1 {
		t.Errorf("search after reopening: %+v, %v; want 1 result", res, err)
	}
}

// Two stores on one file are two processes: the busy timeout and
// BEGIN IMMEDIATE make their writes queue instead of failing.
func TestTwoStoresOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.db")
	var stores [2]*sqlite.Store
	var wg sync.WaitGroup
	errs := make([]error, len(stores))
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = sqlite.Open(path) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	if err := stores[0].PutVersion(t.Context(), &catalog.Version{Repository: "acme/x", Version: "1.0.0"}); err != nil {
		t.Fatal(err)
	}
	const n = 50
	for _, s := range stores {
		wg.Go(func() {
			for range n {
				if err := s.AddDownloads(t.Context(), []catalog.Download{{Repository: "acme/x", Version: "1.0.0", Platform: "any", Count: 1}}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for i, s := range stores {
		b, err := s.Bundle(t.Context(), "acme/x")
		if err != nil {
			t.Fatal(err)
		}
		if b.Downloads != 2*n {
			t.Errorf("store %d: %d downloads, want %d", i, b.Downloads, 2*n)
		}
	}
}

// Catalogs written before publication meant first-seen hold the bundles'
// created annotations: the zip epoch for reproducible packs. Migrating
// gives those (and unknown or impossible times) the indexing time, and
// keeps real build times.
func TestMigrateFirstSeen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	indexed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	built := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	old := map[string]any{ // repository → published_at as an older mpakd stored it
		"acme/epoch":  time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro(),
		"acme/zoned":  time.Date(1980, 1, 1, 5, 0, 0, 0, time.UTC).UnixMicro(),
		"acme/built":  built.UnixMicro(),
		"acme/future": indexed.Add(time.Hour).UnixMicro(),
		"acme/none":   nil,
	}
	for repository := range old {
		if err := s.PutVersion(t.Context(), &catalog.Version{Repository: repository, Version: "1.0.0", Name: "x", IndexedAt: indexed}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for repository, published := range old {
		if _, err := db.Exec(`UPDATE versions SET published_at = ? WHERE repository = ?`, published, repository); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`DELETE FROM schema_migrations WHERE version = 9`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = sqlite.Open(path)
	if err != nil {
		t.Fatalf("migrating: %v", err)
	}
	defer s.Close()
	storetest.WantFirstSeen(t, s, slices.Collect(maps.Keys(old)), indexed, built)
}
