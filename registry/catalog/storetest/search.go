package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
)

func testSearchRanking(t *testing.T, s catalog.Store) {
	named := bundle("acme/weather", "1.0.0")
	named.Description = "Current conditions and forecasts"
	tool := bundle("acme/umbrella", "1.0.0")
	tool.Description = "Tells you when to take an umbrella"
	tool.Tools = []catalog.Tool{{Name: "check_weather"}}
	described := bundle("acme/travel", "1.0.0")
	described.Description = "Plans trips around the weather"
	put(t, s, named, tool, described)
	// Downloads favour the weakest match, so only relevance can put the
	// name match first.
	addDownloads(t, s,
		catalog.Download{Repository: "acme/travel", Version: "1.0.0", Platform: "any", Count: 100},
		catalog.Download{Repository: "acme/umbrella", Version: "1.0.0", Platform: "any", Count: 10})

	res := search(t, s, catalog.Query{Text: "weather"})
	wantRepositories(t, `"weather" by relevance (name, then tool name, then description)`, res,
		"acme/weather", "acme/umbrella", "acme/travel")
	if res.Total != 3 {
		t.Errorf("Total = %d, want 3", res.Total)
	}
	wantRepositories(t, `"weather" by downloads`, search(t, s, catalog.Query{Text: "weather", Sort: catalog.SortDownloads}),
		"acme/travel", "acme/umbrella", "acme/weather")
}

func testSearchFields(t *testing.T, s catalog.Store) {
	v := bundle("acme/station", "1.0.0")
	v.DisplayName = "Rain Gauge"
	v.Description = "Measures precipitation at the Café Noël"
	v.Keywords = []string{"meteorology", "hydrology"}
	v.Tools = []catalog.Tool{{Name: "getForecast", Description: "Predicts tomorrow's drizzle"}, {Name: "list_alerts"}}
	v.LongDescription = "Calibrated against a barometer."
	put(t, s, v, bundle("globex/other", "1.0.0"))

	for _, text := range []string{
		"station",             // repository path
		"acme",                // repository namespace
		"rain gauge",          // display name
		"GAUGE",               // case
		"precipitation",       // description
		"meteorology",         // keyword
		"meteo",               // prefix
		"getforecast",         // tool name
		"forecast",            // part of a camelCase tool name
		"alerts",              // part of a snake_case tool name
		"list_alerts",         // the whole tool name
		"drizzle",             // tool description
		"barometer",           // long description
		"cafe noel",           // accents are folded
		"Café",                // in both directions
		"rain precipitation",  // terms from different fields
		"  meteorology\t\n  ", // surrounding space
	} {
		wantRepositories(t, fmt.Sprintf("search %q", text), search(t, s, catalog.Query{Text: text}), "acme/station")
	}
	// All terms are required.
	wantRepositories(t, "search with a term no field has", search(t, s, catalog.Query{Text: "rain snowfall"}))
	wantRepositories(t, "search for nothing indexed", search(t, s, catalog.Query{Text: "zyzzyva"}))
}

func testSearchLatestVersionOnly(t *testing.T, s catalog.Store) {
	old := bundle("acme/gadget", "1.0.0")
	old.Description = "An obsolete gizmo"
	cur := bundle("acme/gadget", "2.0.0")
	cur.Description = "A modern contraption"
	beta := bundle("acme/gadget", "3.0.0-beta.1")
	beta.Description = "An experimental widget"
	put(t, s, old, beta, cur)

	wantRepositories(t, "text of an older version", search(t, s, catalog.Query{Text: "gizmo"}))
	wantRepositories(t, "text of a prerelease newer than the latest release", search(t, s, catalog.Query{Text: "widget"}))
	res := search(t, s, catalog.Query{Text: "contraption"})
	wantRepositories(t, "text of the latest version", res, "acme/gadget")
	if len(res.Bundles) == 1 && (res.Bundles[0].Latest.Version != "2.0.0" || res.Bundles[0].Versions != 3) {
		t.Errorf("result: latest %s of %d versions, want 2.0.0 of 3", res.Bundles[0].Latest.Version, res.Bundles[0].Versions)
	}

	// Deleting releases leaves the prerelease as the latest, and its text
	// becomes what the bundle is found by.
	for _, v := range []string{"2.0.0", "1.0.0"} {
		if err := s.DeleteVersion(ctx(t), "acme/gadget", v); err != nil {
			t.Fatal(err)
		}
	}
	wantRepositories(t, "text of the deleted latest", search(t, s, catalog.Query{Text: "contraption"}))
	wantRepositories(t, "text of the prerelease, now latest", search(t, s, catalog.Query{Text: "widget"}), "acme/gadget")
}

func testSearchFilters(t *testing.T, s catalog.Store) {
	build := func(platform string) catalog.Build {
		return catalog.Build{Platform: platform, ManifestDigest: digest(platform + "m"), LayerDigest: digest(platform + "l"), Size: 1}
	}
	a := bundle("f/a", "1.0.0")
	a.Builds, a.ServerType, a.Level, a.Signed = []catalog.Build{build("linux/amd64")}, "node", 1, false
	b := bundle("f/b", "1.0.0")
	b.Builds, b.ServerType, b.Level, b.Signed = []catalog.Build{build("linux/any")}, "python", 3, true
	c := bundle("f/c", "1.0.0")
	c.Builds, c.ServerType, c.Level, c.Signed = []catalog.Build{build("any")}, "binary", 0, false
	d := bundle("f/d", "1.0.0")
	d.Builds, d.ServerType, d.Level, d.Signed = []catalog.Build{build("darwin/arm64"), build("windows/amd64")}, "node", 4, true
	// Filters look at the latest version only: e's 1.0.0 has a Windows
	// build and is signed, its latest has neither.
	e1 := bundle("f/e", "1.0.0")
	e1.Builds, e1.ServerType, e1.Level, e1.Signed = []catalog.Build{build("windows/arm64")}, "uv", 4, true
	e2 := bundle("f/e", "2.0.0")
	e2.Builds, e2.ServerType, e2.Level, e2.Signed = []catalog.Build{build("freebsd/amd64")}, "binary", 0, false
	put(t, s, a, b, c, d, e1, e2)

	yes, no := true, false
	for _, tc := range []struct {
		q    catalog.Query
		want []string
	}{
		{catalog.Query{}, []string{"f/a", "f/b", "f/c", "f/d", "f/e"}},
		{catalog.Query{OS: "linux", Arch: "amd64"}, []string{"f/a", "f/b", "f/c"}},
		{catalog.Query{OS: "linux", Arch: "arm64"}, []string{"f/b", "f/c"}},
		{catalog.Query{OS: "darwin", Arch: "arm64"}, []string{"f/c", "f/d"}},
		{catalog.Query{OS: "windows", Arch: "arm64"}, []string{"f/c"}},
		{catalog.Query{OS: "windows", Arch: "amd64"}, []string{"f/c", "f/d"}},
		{catalog.Query{OS: "freebsd", Arch: "amd64"}, []string{"f/c", "f/e"}},
		{catalog.Query{OS: "linux"}, []string{"f/a", "f/b", "f/c"}},
		{catalog.Query{Arch: "arm64"}, []string{"f/b", "f/c", "f/d"}},
		{catalog.Query{Type: "node"}, []string{"f/a", "f/d"}},
		{catalog.Query{Type: "uv"}, nil},
		{catalog.Query{MinLevel: 3}, []string{"f/b", "f/d"}},
		{catalog.Query{MinLevel: 4}, []string{"f/d"}},
		{catalog.Query{Signed: &yes}, []string{"f/b", "f/d"}},
		{catalog.Query{Signed: &no}, []string{"f/a", "f/c", "f/e"}},
		{catalog.Query{Type: "node", Signed: &yes, OS: "darwin", Arch: "arm64"}, []string{"f/d"}},
		{catalog.Query{Type: "node", OS: "linux", Arch: "arm64"}, nil},
		{catalog.Query{Text: "f", Type: "binary"}, []string{"f/c", "f/e"}},
	} {
		tc.q.Sort = catalog.SortName
		res := search(t, s, tc.q)
		wantRepositories(t, fmt.Sprintf("%+v", tc.q), res, tc.want...)
		if res.Total != len(tc.want) {
			t.Errorf("%+v: Total = %d, want %d", tc.q, res.Total, len(tc.want))
		}
	}
}

func testSearchSorts(t *testing.T, s catalog.Store) {
	for i, name := range []string{"s/alpha", "s/bravo", "s/charlie"} {
		v := bundle(name, "1.0.0")
		v.Description = "Sortable"
		v.PublishedAt = t0.Add([]time.Duration{48, 0, 24}[i] * time.Hour)
		put(t, s, v)
		addDownloads(t, s, catalog.Download{Repository: name, Version: "1.0.0", Platform: "any", Day: t0, Count: []int64{5, 10, 1}[i]})
	}
	for _, tc := range []struct {
		sort catalog.Sort
		want []string
	}{
		{catalog.SortDownloads, []string{"s/bravo", "s/alpha", "s/charlie"}},
		{catalog.SortRecent, []string{"s/alpha", "s/charlie", "s/bravo"}},
		{catalog.SortName, []string{"s/alpha", "s/bravo", "s/charlie"}},
		// Equally relevant: downloads decide.
		{catalog.SortRelevance, []string{"s/bravo", "s/alpha", "s/charlie"}},
		{"", []string{"s/bravo", "s/alpha", "s/charlie"}},
	} {
		wantRepositories(t, fmt.Sprintf("sort %q", tc.sort), search(t, s, catalog.Query{Text: "sortable", Sort: tc.sort}), tc.want...)
	}
	res := search(t, s, catalog.Query{Text: "sortable", Sort: catalog.SortName})
	for i, b := range res.Bundles {
		if want := []int64{5, 10, 1}[i]; b.Downloads != want || b.Latest.Downloads != want {
			t.Errorf("%s: Downloads %d, Latest.Downloads %d, want %d", b.Repository, b.Downloads, b.Latest.Downloads, want)
		}
	}
}

func testSearchPaging(t *testing.T, s catalog.Store) {
	const n = 105
	var all []string
	for i := range n {
		v := bundle(fmt.Sprintf("page/b%03d", i), "1.0.0")
		v.Description = "Pageable"
		put(t, s, v)
		all = append(all, v.Repository)
	}
	for _, text := range []string{"", "pageable"} {
		var got []string
		for offset := 0; offset < n+40; offset += 40 {
			res := search(t, s, catalog.Query{Text: text, Sort: catalog.SortName, Limit: 40, Offset: offset})
			if res.Total != n {
				t.Errorf("%q offset %d: Total = %d, want %d", text, offset, res.Total, n)
			}
			if want := min(40, max(n-offset, 0)); len(res.Bundles) != want {
				t.Errorf("%q offset %d: %d bundles, want %d", text, offset, len(res.Bundles), want)
			}
			got = append(got, repositories(res)...)
		}
		if fmt.Sprint(got) != fmt.Sprint(all) {
			t.Errorf("%q: pages concatenated are not every bundle once, in order:\ngot  %q\nwant %q", text, got, all)
		}
		past := search(t, s, catalog.Query{Text: text, Sort: catalog.SortName, Offset: 1000})
		if len(past.Bundles) != 0 || past.Total != n {
			t.Errorf("%q past the end: %d bundles, Total %d; want 0, %d", text, len(past.Bundles), past.Total, n)
		}
	}
	for _, tc := range []struct{ limit, want int }{{0, catalog.DefaultLimit}, {-1, catalog.DefaultLimit}, {1000, catalog.MaxLimit}, {7, 7}} {
		if res := search(t, s, catalog.Query{Limit: tc.limit}); len(res.Bundles) != tc.want {
			t.Errorf("Limit %d: %d bundles, want %d", tc.limit, len(res.Bundles), tc.want)
		}
	}
	if res := search(t, s, catalog.Query{Sort: catalog.SortName, Offset: -5, Limit: 1}); len(res.Bundles) != 1 || res.Bundles[0].Repository != all[0] {
		t.Errorf("negative offset: %q, want the first page", repositories(res))
	}
}

func testSearchEmptyText(t *testing.T, s catalog.Store) {
	for _, name := range []string{"e/one", "e/two", "e/three"} {
		put(t, s, bundle(name, "1.0.0"))
	}
	addDownloads(t, s,
		catalog.Download{Repository: "e/two", Version: "1.0.0", Platform: "any", Count: 7},
		catalog.Download{Repository: "e/three", Version: "1.0.0", Platform: "any", Count: 3})
	for _, text := range []string{"", "   ", "*"} {
		res := search(t, s, catalog.Query{Text: text})
		wantRepositories(t, fmt.Sprintf("%q: every bundle, most downloaded first", text), res, "e/two", "e/three", "e/one")
		if res.Total != 3 {
			t.Errorf("%q: Total = %d, want 3", text, res.Total)
		}
	}
}

func testSearchSpecialCharacters(t *testing.T, s catalog.Store) {
	w := bundle("acme/weather", "1.0.0")
	w.Description = "Weather for C++ programmers"
	put(t, s, w, bundle("acme/other", "1.0.0"))
	// Punctuation separates words and is otherwise ignored: it is never
	// FTS5 or tsquery syntax.
	for _, text := range []string{`"weather"`, `weather*`, `weather:`, `(weather)`, `'weather'`, `weather -`,
		`{weather}`, `weather^`, `weather\`, `!weather`, `weather & | !`, `weather <->`, `c++ weather`} {
		wantRepositories(t, fmt.Sprintf("search %q", text), search(t, s, catalog.Query{Text: text}), "acme/weather")
	}
	// Whatever they match, none of these is a syntax error.
	for _, text := range []string{`c++`, `foo:bar`, `-x`, `*`, `"`, `""`, `'`, `\`, `%`, `_`, `(`, `)`, `AND`,
		`OR`, `NOT`, `NEAR`, `^`, `:*`, `&`, `|`, `!`, `a:b:c`, `x*y`, `weather AND`, `NOT weather`, `weather OR x`, `NEAR(weather, 2)`, `description:weather`, `🌧️`, "\x00", `'; DROP TABLE versions; --`,
		`日本語`, `Ünïcödé`} {
		if _, err := s.Search(ctx(t), catalog.Query{Text: text}); err != nil {
			t.Errorf("Search(%q): %v", text, err)
		}
	}
	if _, err := s.Bundle(ctx(t), "acme/weather"); err != nil {
		t.Errorf("the catalog did not survive the searches: %v", err)
	}
}

func testSearchUnknownSort(t *testing.T, s catalog.Store) {
	if _, err := s.Search(ctx(t), catalog.Query{Sort: "popularity"}); err == nil {
		t.Error(`Search with Sort "popularity" succeeded, want an error naming the sorts`)
	}
}
