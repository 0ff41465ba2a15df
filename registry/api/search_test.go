package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/registry/catalog"
)

func TestSearchValidation(t *testing.T) {
	f := defaultFixture(t)
	for query, want := range map[string]string{
		"type=docker":       "node, python, binary, uv",
		"sort=popular":      "relevance, downloads, recent, name",
		"min_level=5":       "min_level",
		"min_level=high":    "0 to 4",
		"signed=maybe":      "true or false",
		"limit=0":           "limit",
		"limit=101":         "from 1 to 100",
		"limit=ten":         "limit",
		"offset=-1":         "offset",
		"arch=arm64":        "needs os",
		"os=linux&limit=1e": "limit",
	} {
		f.wantError(t, "/v1/bundles/search?"+query, http.StatusBadRequest, codeBadRequest, want)
	}
}

func TestSearch(t *testing.T) {
	f := defaultFixture(t)
	var res catalogapi.SearchResponse
	f.getJSON(t, "/v1/bundles/search?q=weather", http.StatusOK, &res)
	if res.Total != 1 || len(res.Bundles) != 1 {
		t.Fatalf("q=weather: %d of %d hits, want 1 of 1: %+v", len(res.Bundles), res.Total, res)
	}
	b := res.Bundles[0]
	want := catalogapi.Bundle{
		Name: "@acme/weather", Repository: "acme/weather", Reference: testHost + "/acme/weather:1.1.0",
		DisplayName: "Weather", Description: longDescription, Version: "1.1.0", ServerType: "node",
		Platforms: []string{"linux/amd64", "darwin/any", "any"}, Tools: []string{"weather_get", "weather_list"},
		Downloads: 14, Signed: true, Level: 2, PublishedAt: b.PublishedAt,
	}
	if fmt.Sprint(b) != fmt.Sprint(want) {
		t.Errorf("hit\n got %+v\nwant %+v", b, want)
	}
	if res.Pagination != (catalogapi.Pagination{Limit: 20, Offset: 0, HasMore: false}) {
		t.Errorf("pagination %+v, want the default limit 20 and no more", res.Pagination)
	}

	// A repository outside the @scope/name shape is named by its path.
	f.getJSON(t, "/v1/bundles/search?q=tool", http.StatusOK, &res)
	if len(res.Bundles) != 1 || res.Bundles[0].Name != "org/team/tool" {
		t.Errorf("q=tool: %+v, want org/team/tool named by its path", res.Bundles)
	}
}

// Filters reach the store: each narrows the fixture to what it should.
func TestSearchFilters(t *testing.T) {
	f := defaultFixture(t)
	for query, want := range map[string][]string{
		"type=python":          {"@acme/notes"},
		"signed=true":          {"@acme/weather"},
		"min_level=1":          {"@acme/weather"},
		"os=linux&arch=arm64":  {"@acme/notes", "@acme/weather", "org/team/tool"}, // any builds serve linux too
		"os=darwin&arch=arm64": {"@acme/notes", "@acme/weather"},                  // darwin/any
		"os=win32&arch=x64":    {"@acme/notes", "@acme/weather"},                  // MCPB names, any builds
		"sort=name":            {"@acme/notes", "@acme/weather", "org/team/tool"},
		"sort=downloads":       {"@acme/weather", "@acme/notes", "org/team/tool"},
	} {
		var res catalogapi.SearchResponse
		f.getJSON(t, "/v1/bundles/search?"+query, http.StatusOK, &res)
		var got []string
		for _, b := range res.Bundles {
			got = append(got, b.Name)
		}
		if query != "sort=name" && query != "sort=downloads" {
			// Only the set matters for filters.
			slices.Sort(got)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || res.Total != len(want) {
			t.Errorf("%s: %v (total %d), want %v", query, got, res.Total, want)
		}
	}
}

// Pages are the store's ranking, cut where limit and offset say, and
// has_more is true exactly until the last page.
func TestSearchPagination(t *testing.T) {
	var versions []catalog.Version
	var downloads []catalog.Download
	for i := range 25 {
		repo := fmt.Sprintf("gen/tool-%02d", i)
		versions = append(versions, version(repo, "1.0.0", "node", "Generated tool number "+fmt.Sprint(i), "any"))
		downloads = append(downloads, catalog.Download{Repository: repo, Version: "1.0.0", Platform: "any", Day: today, Count: int64(1 + (i*7)%25)})
	}
	f := newFixture(t, Options{PublicHost: testHost}, versions, downloads)

	all, err := f.store.Search(context.Background(), catalog.Query{Text: "tool", Sort: catalog.SortDownloads, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if all.Total != 25 {
		t.Fatalf("store found %d, want 25", all.Total)
	}
	var got []string
	for offset := 0; ; offset += 10 {
		var res catalogapi.SearchResponse
		f.getJSON(t, fmt.Sprintf("/v1/bundles/search?q=tool&sort=downloads&limit=10&offset=%d", offset), http.StatusOK, &res)
		if res.Total != 25 || res.Pagination.Limit != 10 || res.Pagination.Offset != offset {
			t.Fatalf("offset %d: total %d pagination %+v", offset, res.Total, res.Pagination)
		}
		for _, b := range res.Bundles {
			got = append(got, b.Repository)
		}
		if wantMore := offset+10 < 25; res.Pagination.HasMore != wantMore {
			t.Errorf("offset %d: has_more %v, want %v", offset, res.Pagination.HasMore, wantMore)
		}
		if !res.Pagination.HasMore {
			break
		}
	}
	var want []string
	for _, b := range all.Bundles {
		want = append(want, b.Repository)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("paged order\n got %v\nwant %v (the store's)", got, want)
	}

	// Past the end: an empty page, still with the total.
	var res catalogapi.SearchResponse
	f.getJSON(t, "/v1/bundles/search?q=tool&offset=40", http.StatusOK, &res)
	if res.Bundles == nil || len(res.Bundles) != 0 || res.Total != 25 || res.Pagination.HasMore {
		t.Errorf("offset past the end: %+v, want [] of 25 and no more", res)
	}
	// Query text is passed through as typed.
	f.getJSON(t, "/v1/bundles/search?q="+url.QueryEscape("number 7"), http.StatusOK, &res)
	if len(res.Bundles) != 1 || res.Bundles[0].Repository != "gen/tool-07" {
		t.Errorf(`q="number 7": %+v, want gen/tool-07`, res.Bundles)
	}
}

// facets=true adds the engine's counts by type, platform, level and
// signature; without it there are none. Under a read rule they count only
// what the client may read.
func TestSearchFacets(t *testing.T) {
	f := defaultFixture(t)
	type page struct {
		Total  int             `json:"total"`
		Facets *catalog.Facets `json:"facets"`
	}
	var res page
	f.getJSON(t, "/v1/bundles/search?facets=true", http.StatusOK, &res)
	if res.Facets == nil {
		t.Fatal("facets=true: no facets")
	}
	types := 0
	for _, n := range res.Facets.Types {
		types += n
	}
	if types != res.Total || res.Facets.Signed+res.Facets.Unsigned != res.Total || res.Facets.Types["node"] == 0 {
		t.Errorf("facets %+v of %d bundles: every bundle counts once by type and by signature", res.Facets, res.Total)
	}
	f.getJSON(t, "/v1/bundles/search?facets=true&type=python", http.StatusOK, &res)
	if res.Facets == nil || res.Facets.Types["node"] == 0 {
		t.Errorf("facets with type=python: %+v; want the type facet to count node bundles still", res.Facets)
	}
	res = page{}
	f.getJSON(t, "/v1/bundles/search", http.StatusOK, &res)
	if res.Facets != nil {
		t.Errorf("no facets asked for: %+v", res.Facets)
	}
	f.wantError(t, "/v1/bundles/search?facets=maybe", http.StatusBadRequest, codeBadRequest, "true or false")

	// Under a read rule the facets count the visible bundles only: the
	// 123 hidden ones (122 node, 1 python) are in alice's counts, not in
	// an anonymous client's.
	hidden, _ := readRuleFixture(t)
	var anon, alice page
	hidden.getJSON(t, "/v1/bundles/search?facets=true", http.StatusOK, &anon)
	hidden.getJSON(t, "/v1/bundles/search?facets=true", http.StatusOK, &alice, asAlice)
	if anon.Facets == nil || alice.Facets == nil {
		t.Fatalf("facets under a read rule: anonymous %+v, alice %+v; want both counted", anon.Facets, alice.Facets)
	}
	sum := func(m map[string]int) (n int) {
		for _, c := range m {
			n += c
		}
		return n
	}
	if sum(anon.Facets.Types) != anon.Total || anon.Facets.Signed+anon.Facets.Unsigned != anon.Total {
		t.Errorf("anonymous facets %+v of %d bundles: they count what the client can see", anon.Facets, anon.Total)
	}
	if d := alice.Total - anon.Total; d != 123 {
		t.Errorf("alice sees %d more bundles than an anonymous client, want the 123 hidden ones", d)
	}
	if dn, dp := alice.Facets.Types["node"]-anon.Facets.Types["node"], alice.Facets.Types["python"]-anon.Facets.Types["python"]; dn != 122 || dp != 1 {
		t.Errorf("type facets differ by node %d, python %d between alice and anonymous; want 122 and 1", dn, dp)
	}
}
