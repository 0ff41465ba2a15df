package storetest

import (
	"fmt"
	"maps"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
)

func testDownloads(t *testing.T, s catalog.Store) {
	put(t, s, full("acme/weather", "1.0.0"), full("acme/weather", "1.1.0"))
	day0, day1, day2 := t0.Add(-24*time.Hour), t0, t0.Add(24*time.Hour)
	addDownloads(t, s,
		catalog.Download{Repository: "acme/weather", Version: "1.0.0", Platform: "linux/amd64", Day: day1, Count: 2},
		// The same key twice in one batch.
		catalog.Download{Repository: "acme/weather", Version: "1.0.0", Platform: "linux/amd64", Day: day1, Count: 3},
		catalog.Download{Repository: "acme/weather", Version: "1.0.0", Platform: "darwin/arm64", Day: day1, Count: 0})
	addDownloads(t, s,
		// The same key again, later the same UTC day and in another zone.
		catalog.Download{Repository: "acme/weather", Version: "1.0.0", Platform: "linux/amd64",
			Day: day1.Add(5 * time.Hour).In(time.FixedZone("UTC+9", 9*3600)), Count: 1},
		catalog.Download{Repository: "acme/weather", Version: "1.1.0", Platform: "darwin/arm64", Day: day2, Count: 4},
		catalog.Download{Repository: "acme/weather", Version: "1.1.0", Platform: "linux/amd64", Day: day0, Count: 1})
	addDownloads(t, s) // an empty batch is fine

	want := &catalog.Stats{
		Total:      11,
		ByVersion:  map[string]int64{"1.0.0": 6, "1.1.0": 5},
		ByPlatform: map[string]int64{"linux/amd64": 7, "darwin/arm64": 4},
		Daily:      []catalog.DayCount{{Day: catalog.Day(day0), Count: 1}, {Day: catalog.Day(day1), Count: 6}, {Day: catalog.Day(day2), Count: 4}},
	}
	wantStats(t, s, "acme/weather", want)

	if v := getVersion(t, s, "acme/weather", "1.0.0"); v.Downloads != 6 {
		t.Errorf("Version(1.0.0).Downloads = %d, want 6", v.Downloads)
	}
	vs, err := s.Versions(ctx(t), "acme/weather")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].Downloads != 5 || vs[1].Downloads != 6 {
		t.Errorf("Versions downloads: %v, want 1.1.0: 5, 1.0.0: 6", vs)
	}
	b := getBundle(t, s, "acme/weather")
	if b.Downloads != 11 || b.Latest.Downloads != 5 {
		t.Errorf("Bundle: %d downloads, latest %d; want 11 and 5", b.Downloads, b.Latest.Downloads)
	}
	res := search(t, s, catalog.Query{Text: "weather"})
	if len(res.Bundles) != 1 || res.Bundles[0].Downloads != 11 || res.Bundles[0].Latest.Downloads != 5 {
		t.Errorf("search result downloads: %+v, want 11 (latest 5)", res.Bundles)
	}

	// A bundle without downloads has empty stats, not an error.
	put(t, s, bundle("acme/quiet", "1.0.0"))
	wantStats(t, s, "acme/quiet", &catalog.Stats{ByVersion: map[string]int64{}, ByPlatform: map[string]int64{}, Daily: []catalog.DayCount{}})
}

func wantStats(t *testing.T, s catalog.Store, repository string, want *catalog.Stats) {
	t.Helper()
	got, err := s.Stats(ctx(t), repository)
	if err != nil {
		t.Fatalf("Stats(%s): %v", repository, err)
	}
	if got.Total != want.Total || !maps.Equal(got.ByVersion, want.ByVersion) || !maps.Equal(got.ByPlatform, want.ByPlatform) ||
		!reflect.DeepEqual(got.Daily, want.Daily) {
		t.Errorf("Stats(%s):\ngot  %+v\nwant %+v", repository, *got, *want)
	}
	if got.ByVersion == nil || got.ByPlatform == nil || got.Daily == nil {
		t.Errorf("Stats(%s) has nil maps or series, want empty ones (they are JSON objects and arrays)", repository)
	}
}

func testDownloadsValidation(t *testing.T, s catalog.Store) {
	put(t, s, bundle("acme/v", "1.0.0"))
	if err := s.AddDownloads(ctx(t), []catalog.Download{
		{Repository: "acme/v", Version: "1.0.0", Platform: "any", Day: t0, Count: 5},
		{Repository: "acme/v", Version: "1.0.0", Platform: "any", Day: t0, Count: -1},
	}); err == nil {
		t.Error("AddDownloads with a negative count succeeded, want an error")
	}
	if err := s.AddDownloads(ctx(t), []catalog.Download{{Version: "1.0.0", Platform: "any", Count: 1}}); err == nil {
		t.Error("AddDownloads without a repository succeeded, want an error")
	}
	// A rejected batch counts nothing, not even its valid part.
	if b := getBundle(t, s, "acme/v"); b.Downloads != 0 {
		t.Errorf("Downloads = %d after rejected batches, want 0", b.Downloads)
	}
	// A zero day is today.
	addDownloads(t, s, catalog.Download{Repository: "acme/v", Version: "1.0.0", Platform: "any", Count: 1})
	st, err := s.Stats(ctx(t), "acme/v")
	if err != nil {
		t.Fatal(err)
	}
	today := catalog.Day(time.Now())
	if len(st.Daily) != 1 || !(st.Daily[0].Day.Equal(today) || st.Daily[0].Day.Equal(today.Add(-24*time.Hour))) {
		t.Errorf("a download without a day counted on %v, want today (%v)", st.Daily, today)
	}
}

func testDownloadsWithoutVersions(t *testing.T, s catalog.Store) {
	// Counts can arrive before the version is indexed (an upstream event
	// racing the push event): they are kept, and the bundle has them once
	// it appears.
	addDownloads(t, s, catalog.Download{Repository: "acme/early", Version: "1.0.0", Platform: "any", Day: t0, Count: 3})
	_, err := s.Bundle(ctx(t), "acme/early")
	wantNotFound(t, "Bundle of counts only", err)
	wantRepositories(t, "search with counts only", search(t, s, catalog.Query{}))
	wantStats(t, s, "acme/early", &catalog.Stats{Total: 3, ByVersion: map[string]int64{"1.0.0": 3},
		ByPlatform: map[string]int64{"any": 3}, Daily: []catalog.DayCount{{Day: t0.Truncate(24 * time.Hour), Count: 3}}})
	put(t, s, bundle("acme/early", "1.0.0"))
	if b := getBundle(t, s, "acme/early"); b.Downloads != 3 || b.Latest.Downloads != 3 {
		t.Errorf("Bundle indexed after its downloads: %d (latest %d), want 3 (3)", b.Downloads, b.Latest.Downloads)
	}
}

// ConcurrentDownloads: batches from many goroutines, overlapping keys,
// must sum exactly.
func testConcurrentDownloads(t *testing.T, s catalog.Store) {
	put(t, s, bundle("acme/busy", "1.0.0"), bundle("acme/busy", "1.1.0"), bundle("acme/calm", "1.0.0"))
	const workers, batches = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*batches)
	for w := range workers {
		wg.Go(func() {
			for i := range batches {
				// Keys in different orders across workers, to provoke lock
				// ordering problems if a store had them.
				batch := []catalog.Download{
					{Repository: "acme/busy", Version: "1.0.0", Platform: "linux/amd64", Day: t0, Count: 1},
					{Repository: "acme/busy", Version: "1.1.0", Platform: "any", Day: t0, Count: 2},
					{Repository: "acme/calm", Version: "1.0.0", Platform: fmt.Sprintf("worker/%d", w), Day: t0, Count: 1},
				}
				if (w+i)%2 == 1 {
					batch[0], batch[2] = batch[2], batch[0]
				}
				if err := s.AddDownloads(ctx(t), batch); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent AddDownloads: %v", err)
	}
	wantStats(t, s, "acme/busy", &catalog.Stats{
		Total:      workers * batches * 3,
		ByVersion:  map[string]int64{"1.0.0": workers * batches, "1.1.0": workers * batches * 2},
		ByPlatform: map[string]int64{"linux/amd64": workers * batches, "any": workers * batches * 2},
		Daily:      []catalog.DayCount{{Day: t0.Truncate(24 * time.Hour), Count: workers * batches * 3}},
	})
	if b := getBundle(t, s, "acme/busy"); b.Downloads != workers*batches*3 {
		t.Errorf("Bundle.Downloads = %d, want %d", b.Downloads, workers*batches*3)
	}
	if b := getBundle(t, s, "acme/calm"); b.Downloads != workers*batches {
		t.Errorf("acme/calm Downloads = %d, want %d", b.Downloads, workers*batches)
	}
}
