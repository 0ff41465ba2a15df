package search_test

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/registry/auth"
	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/postgres"
	"github.com/mpak-oci/mpak/registry/catalog/postgres/pgtest"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/catalog/storetest"
	"github.com/mpak-oci/mpak/registry/search"
)

// feedStore is a catalog store with a change feed and mpakd's auth
// tables, as both SQL stores are.
type feedStore interface {
	catalog.Store
	catalog.ChangeFeed
	auth.RobotStore
	auth.KeyStore
}

// withEngine puts an engine in front of st, as mpakd does. The auth
// tables are reached past it, as mpakd reaches them (the suite covers
// them too).
func withEngine(t *testing.T, st feedStore) catalog.Store {
	t.Helper()
	e, err := search.New(t.Context(), st, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return struct {
		*search.Store
		auth.RobotStore
		auth.KeyStore
	}{e.Store(st), st, st}
}

// The stores' conformance suite, searches answered by the engine: the
// same matching, ranking, filters, sorts, paging and totals as SQL.
func TestConformanceSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) catalog.Store {
		st, err := sqlite.Open(filepath.Join(t.TempDir(), "index.db"))
		if err != nil {
			t.Fatal(err)
		}
		return withEngine(t, st)
	})
}

func TestConformancePostgres(t *testing.T) {
	pgtest.DSN(t)
	storetest.Run(t, func(t *testing.T) catalog.Store {
		st, err := postgres.Open(t.Context(), pgtest.NewSchema(t))
		if err != nil {
			t.Fatal(err)
		}
		return withEngine(t, st)
	})
}

func put(t *testing.T, s catalog.Store, vs ...*catalog.Version) {
	t.Helper()
	for _, v := range vs {
		if err := s.PutVersion(t.Context(), v); err != nil {
			t.Fatal(err)
		}
	}
}

// found is the repositories a search returns, in order.
func found(t *testing.T, s catalog.Store, q catalog.Query) []string {
	t.Helper()
	res, err := s.Search(t.Context(), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	var out []string
	for _, b := range res.Bundles {
		out = append(out, b.Repository)
	}
	return out
}

// A last word that matches nothing is read as one edit away; a word that
// matches something is never second-guessed, and earlier words must
// match as typed.
func TestTypoInTheLastWord(t *testing.T) {
	st, err := sqlite.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := withEngine(t, st)
	put(t, s, version("acme/weather", "1.0.0", "Forecasts for travel"), version("acme/whether", "1.0.0", "Decides things"),
		version("acme/maps", "1.0.0", "Maps for travel"))
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"weathr", []string{"acme/weather"}},                  // deletion
		{"waether", []string{"acme/weather", "acme/whether"}}, // a swap, or a substitution
		{"forecsats", []string{"acme/weather"}},               // a swap
		{"froecsats", nil},                                    // two edits
		{"travel forcasts", []string{"acme/weather"}},         // the last word of several
		{"trvel forecasts", nil},                              // not an earlier one
		{"whether", []string{"acme/whether"}},                 // a word that matches is taken as typed
		{"mapz", []string{"acme/maps"}},
		{"mpz", nil}, // too short to guess
	} {
		if got := found(t, s, catalog.Query{Text: tc.text, Sort: catalog.SortName}); !slices.Equal(got, tc.want) {
			t.Errorf("search %q: %q, want %q", tc.text, got, tc.want)
		}
	}
	e, err := search.New(t.Context(), st, search.Options{NoTypos: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := found(t, e.Store(st), catalog.Query{Text: "weathr"}); len(got) != 0 {
		t.Errorf("with NoTypos, search %q: %q, want nothing", "weathr", got)
	}
}

// Writes by another process (here: straight to the store, past the
// engine) become searchable once Run reads the feed: puts, yanks, deletes
// and download counts.
func TestFollowsOtherWriters(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	put(t, st, version("acme/weather", "1.0.0", "Forecasts"))
	e, err := search.New(t.Context(), st, search.Options{PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()
	defer func() { cancel(); <-done }()
	s := e.Store(st)

	eventually := func(what string, q catalog.Query, want ...string) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Second)
		for {
			got := found(t, s, q)
			if slices.Equal(got, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: search %+v gives %q, want %q", what, q, got, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	eventually("the snapshot", catalog.Query{Text: "forecasts"}, "acme/weather")
	put(t, st, version("acme/travel", "1.0.0", "Forecasts for trips"))
	eventually("a put", catalog.Query{Text: "forecasts", Sort: catalog.SortName}, "acme/travel", "acme/weather")
	if err := st.AddDownloads(t.Context(), []catalog.Download{{Repository: "acme/weather", Version: "1.0.0", Platform: "any", Count: 9}}); err != nil {
		t.Fatal(err)
	}
	eventually("downloads", catalog.Query{Text: "forecasts", Sort: catalog.SortDownloads}, "acme/weather", "acme/travel")
	yanked := version("acme/travel", "1.0.0", "Rain for trips")
	yanked.Yanked = true
	put(t, st, yanked)
	eventually("a yank that changed the text", catalog.Query{Text: "forecasts"}, "acme/weather")
	if err := st.DeleteVersion(t.Context(), "acme/weather", "1.0.0"); err != nil {
		t.Fatal(err)
	}
	eventually("a delete", catalog.Query{Text: "forecasts"})
	if st := e.Stats(); st.Bundles != 1 {
		t.Errorf("Stats: %d bundles, want 1 (acme/travel)", st.Bundles)
	}
}

func version(repository, v, description string) *catalog.Version {
	return &catalog.Version{Repository: repository, Version: v, Name: filepath.Base(repository), Description: description,
		Builds: []catalog.Build{{Platform: "any", LayerDigest: "sha256:" + repository + v}}, IndexedAt: time.Now()}
}

// Facets count the matches by each filter's values, each facet with
// every filter but its own applied.
func TestFacets(t *testing.T) {
	st, err := sqlite.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := withEngine(t, st)
	mk := func(repo, typ string, level int, signed bool, platforms ...string) *catalog.Version {
		v := version(repo, "1.0.0", "Weather tools")
		v.ServerType, v.Level, v.Signed, v.Builds = typ, level, signed, nil
		for _, p := range platforms {
			v.Builds = append(v.Builds, catalog.Build{Platform: p, LayerDigest: "sha256:" + repo + p})
		}
		return v
	}
	put(t, s,
		mk("f/a", "node", 0, false, "any"),
		mk("f/b", "node", 3, true, "linux/amd64", "darwin/arm64"),
		mk("f/c", "python", 3, true, "linux/amd64"),
		mk("f/d", "binary", 1, false, "windows/amd64"))
	other := mk("f/e", "node", 4, true, "any")
	other.Description = "Maps"
	put(t, s, other)

	facets := func(q catalog.Query) *catalog.Facets {
		t.Helper()
		q.Facets = true
		res, err := s.Search(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		if res.Facets == nil {
			t.Fatal("no facets")
		}
		return res.Facets
	}
	got := facets(catalog.Query{Text: "weather"})
	want := &catalog.Facets{
		Types:     map[string]int{"node": 2, "python": 1, "binary": 1},
		Platforms: map[string]int{"any": 1, "linux/amd64": 2, "darwin/arm64": 1, "windows/amd64": 1},
		Levels:    map[int]int{0: 1, 1: 1, 3: 2},
		Signed:    2, Unsigned: 2,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("facets of %q:\ngot  %+v\nwant %+v", "weather", got, want)
	}
	// With type=node, the type facet still counts every type; the others
	// count node bundles only.
	got = facets(catalog.Query{Text: "weather", Type: "node"})
	want = &catalog.Facets{
		Types:     map[string]int{"node": 2, "python": 1, "binary": 1},
		Platforms: map[string]int{"any": 1, "linux/amd64": 1, "darwin/arm64": 1},
		Levels:    map[int]int{0: 1, 3: 1},
		Signed:    1, Unsigned: 1,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("facets of %q with type=node:\ngot  %+v\nwant %+v", "weather", got, want)
	}
	if res, err := s.Search(t.Context(), catalog.Query{Text: "weather"}); err != nil || res.Facets != nil {
		t.Errorf("facets not asked for: %+v, %v; want none", res.Facets, err)
	}
}
