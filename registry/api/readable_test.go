package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/registry/catalog"
)

// The private part of the read-rule fixture: repositories under a-secret/,
// which sort before every public one, so a page of public results is only
// filled by reading past them.
const (
	secretPrefix = "a-secret/"
	// alice may read everything; anyone else not a-secret/.
	asAlice = "Authorization: Bearer alice"
)

// readRuleFixture is the default catalog plus:
//
//   - a-secret/weather 1.0.0 and 2.0.0, downloaded, and a search match for
//     "weather";
//   - a-secret/notes, a private fork declaring acme/notes' server name;
//   - a-secret/only, declaring a server name no public bundle has;
//   - a-secret/gen-000…119, more than a store page, and tools/gen-00…24,
//     public, after them in every order the tests page through.
//
// calls counts the Readable calls.
func readRuleFixture(t *testing.T) (f *fixture, calls *atomic.Int64) {
	t.Helper()
	return readRuleFixtureSearching(t, true)
}

// readRuleFixtureSearching is readRuleFixture with searches answered by
// the engine (which applies the rule itself) or the SQL store (searched
// page by page and filtered above it).
func readRuleFixtureSearching(t *testing.T, engine bool) (f *fixture, calls *atomic.Int64) {
	t.Helper()
	vs := fixtureVersions()
	sw1 := version(secretPrefix+"weather", "1.0.0", "node", "Secret weather for the board", "any")
	sw2 := version(secretPrefix+"weather", "2.0.0", "node", "Secret weather for the board", "any")
	fork := version(secretPrefix+"notes", "9.0.0", "python", "Private notes fork", "any")
	fork.Annotations[mediatypes.AnnotationMCPName] = notesServer
	only := version(secretPrefix+"only", "1.0.0", "node", "Private only", "any")
	only.Annotations[mediatypes.AnnotationMCPName] = "io.github.secret/only"
	vs = append(vs, sw1, sw2, fork, only)
	for i := range 120 {
		vs = append(vs, version(fmt.Sprintf("%sgen-%03d", secretPrefix, i), "1.0.0", "node", "Generated", "any"))
	}
	for i := range 25 {
		vs = append(vs, version(fmt.Sprintf("tools/gen-%02d", i), "1.0.0", "node", "Generated", "any"))
	}
	downloads := append(fixtureDownloads(), catalog.Download{Repository: secretPrefix + "weather", Version: "2.0.0",
		Platform: "any", Day: catalog.Day(today), Count: 1000})
	calls = new(atomic.Int64)
	readable := func(r *http.Request) func(string) bool {
		calls.Add(1)
		if r.Header.Get("Authorization") == "Bearer alice" {
			return func(string) bool { return true }
		}
		return func(repository string) bool { return !strings.HasPrefix(repository, secretPrefix) }
	}
	return newFixtureSearching(t, Options{PublicHost: testHost, Readable: readable}, vs, downloads, engine), calls
}

// searchAll pages through a search with limit, checking every page is
// full but the last and says whether more follow, and returns the names
// and the total.
func (f *fixture) searchAll(t *testing.T, query string, limit int, headers ...string) ([]string, int) {
	t.Helper()
	var names []string
	total := -1
	for offset := 0; ; offset += limit {
		var res catalogapi.SearchResponse
		f.getJSON(t, fmt.Sprintf("/v1/bundles/search?%s&limit=%d&offset=%d", query, limit, offset), http.StatusOK, &res, headers...)
		if total >= 0 && res.Total != total {
			t.Errorf("%s: the total moved from %d to %d at offset %d", query, total, res.Total, offset)
		}
		total = res.Total
		for _, b := range res.Bundles {
			names = append(names, b.Name)
		}
		more := offset+limit < total
		if res.Pagination.HasMore != more || more && len(res.Bundles) != limit || !more && len(res.Bundles) != total-offset {
			t.Fatalf("%s offset %d: %d bundles of %d, has_more %v", query, offset, len(res.Bundles), total, res.Pagination.HasMore)
		}
		if !more {
			return names, total
		}
	}
}

func TestReadRuleSearch(t *testing.T) {
	t.Run("engine", func(t *testing.T) { testReadRuleSearch(t, true) })
	t.Run("sql", func(t *testing.T) { testReadRuleSearch(t, false) })
}

func testReadRuleSearch(t *testing.T, engine bool) {
	f, calls := readRuleFixtureSearching(t, engine)
	var public []string
	for i := range 25 {
		public = append(public, fmt.Sprintf("@tools/gen-%02d", i))
	}
	public = append([]string{"@acme/notes", "@acme/weather", "org/team/tool"}, public...)

	// Every page full, in the store's order, counted among visible bundles
	// only, however the pages fall across the hidden ones.
	for _, limit := range []int{1, 7, 10, 100} {
		names, total := f.searchAll(t, "sort=name", limit)
		if fmt.Sprint(names) != fmt.Sprint(public) || total != len(public) {
			t.Errorf("sort=name limit %d: total %d\n%v\nwant %d\n%v", limit, total, names, len(public), public)
		}
	}
	names, total := f.searchAll(t, "sort=name", 100, asAlice)
	if total != len(public)+123 || !slices.Contains(names, "@a-secret/weather") || !slices.Contains(names, "@a-secret/gen-119") {
		t.Errorf("alice: %d bundles, want %d with the secret ones", total, len(public)+123)
	}

	for _, q := range []string{"q=weather", "q=secret", "q=board", "sort=downloads&limit=3", "q=weather&sort=downloads", "type=node&sort=recent"} {
		var res catalogapi.SearchResponse
		f.getJSON(t, "/v1/bundles/search?"+q, http.StatusOK, &res)
		for _, b := range res.Bundles {
			if strings.HasPrefix(b.Repository, secretPrefix) {
				t.Errorf("%s: lists %s", q, b.Repository)
			}
		}
		var mine catalogapi.SearchResponse
		f.getJSON(t, "/v1/bundles/search?"+q, http.StatusOK, &mine, asAlice)
		hidden := 0
		for _, b := range mine.Bundles {
			if strings.HasPrefix(b.Repository, secretPrefix) {
				hidden++
			}
		}
		switch q {
		case "q=weather":
			if res.Total != 1 || mine.Total != 2 || hidden != 1 {
				t.Errorf("%s: %d for anyone, %d (%d secret) for alice; want 1 and 2 (1)", q, res.Total, mine.Total, hidden)
			}
		case "q=secret", "q=board":
			if res.Total != 0 || len(res.Bundles) != 0 || res.Pagination.HasMore || mine.Total == 0 {
				t.Errorf("%s: %+v for anyone, %d for alice", q, res, mine.Total)
			}
		case "sort=downloads&limit=3":
			// a-secret/weather is the most downloaded.
			if len(res.Bundles) != 3 || res.Bundles[0].Name != "@acme/weather" || mine.Bundles[0].Name != "@a-secret/weather" {
				t.Errorf("%s: %+v for anyone, %+v for alice", q, res.Bundles, mine.Bundles)
			}
		}
	}

	before := calls.Load()
	f.getJSON(t, "/v1/bundles/search?sort=name&limit=5&offset=20", http.StatusOK, new(catalogapi.SearchResponse))
	if n := calls.Load() - before; n != 1 {
		t.Errorf("one search called Readable %d times, want once", n)
	}
}

// response is what a client can observe of an answer.
type response struct {
	status                                    int
	contentType, cacheControl, location, vary string
	body                                      string
}

func (f *fixture) observe(t *testing.T, path string, headers ...string) response {
	t.Helper()
	resp, body := f.get(t, path, headers...)
	return response{resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"),
		resp.Header.Get("Location"), strings.Join(resp.Header.Values("Vary"), ","), string(body)}
}

// Every lookup of a hidden repository is answered exactly as one of a
// repository that does not exist, while its reader gets it.
func TestReadRuleLookups(t *testing.T) {
	f, _ := readRuleFixture(t)
	for _, path := range []string{
		"/v1/bundles/@a-secret/NAME",
		"/v1/bundles/a-secret/NAME",
		"/v1/bundles/@a-secret/NAME/versions",
		"/v1/bundles/a-secret/NAME/versions",
		"/v1/bundles/@a-secret/NAME/versions/1.0.0",
		"/v1/bundles/@a-secret/NAME/versions/latest",
		"/v1/bundles/@a-secret/NAME/versions/3.0.0",
		"/v1/bundles/@a-secret/NAME/versions/1.0.0/download",
		"/v1/bundles/@a-secret/NAME/versions/1.0.0/download?format=json",
		"/v1/bundles/@a-secret/NAME/versions/latest/download?os=linux&arch=amd64",
		"/v1/bundles/@a-secret/NAME/badge.svg",
		"/v1/bundles/@a-secret/NAME/badge.svg?type=downloads",
		"/v1/bundles/@a-secret/NAME/badge.svg?type=level",
		"/v1/bundles/a-secret/NAME/badge.svg",
		"/v1/bundles/@a-secret/NAME/badge.svg?type=stars",
		"/v0.1/servers/com.example.registry.a-secret%2FNAME/versions",
		"/v0.1/servers/com.example.registry.a-secret%2FNAME/versions/latest",
		"/v0/servers/com.example.registry.a-secret%2FNAME/versions/1.0.0",
	} {
		hidden := f.observe(t, strings.ReplaceAll(path, "NAME", "weather"))
		missing := f.observe(t, strings.ReplaceAll(path, "NAME", "nothing"))
		missing.body = strings.ReplaceAll(missing.body, "nothing", "weather")
		if hidden != missing {
			t.Errorf("%s: hidden and missing differ:\n%+v\n%+v", path, hidden, missing)
		}
		if hidden.status < 400 {
			t.Errorf("%s: hidden answered %d", path, hidden.status)
		}
		if !strings.Contains(hidden.vary, "Authorization") {
			t.Errorf("%s: Vary %q lacks Authorization", path, hidden.vary)
		}
		mine := f.observe(t, strings.ReplaceAll(path, "NAME", "weather"), asAlice)
		if mine.status >= 400 && !strings.Contains(path, "3.0.0") && !strings.Contains(path, "stars") {
			t.Errorf("%s: alice got %d: %s", path, mine.status, mine.body)
		}
		if !strings.HasPrefix(mine.cacheControl, "private") {
			t.Errorf("%s: alice's answer is Cache-Control %q, want private", path, mine.cacheControl)
		}
	}

	// Names only the hidden repository declares.
	for _, path := range []string{"/v0.1/servers/io.github.secret%2FNAME/versions", "/v0.1/servers/io.github.secret%2FNAME/versions/latest"} {
		hidden := f.observe(t, strings.ReplaceAll(path, "NAME", "only"))
		missing := f.observe(t, strings.ReplaceAll(path, "NAME", "nothing"))
		missing.body = strings.ReplaceAll(missing.body, "nothing", "only")
		if hidden != missing || hidden.status != http.StatusNotFound {
			t.Errorf("%s: hidden and missing differ:\n%+v\n%+v", path, hidden, missing)
		}
		if mine := f.observe(t, strings.ReplaceAll(path, "NAME", "only"), asAlice); mine.status != http.StatusOK {
			t.Errorf("%s: alice got %d: %s", path, mine.status, mine.body)
		}
	}
	// A name a public and a private repository both declare is the public
	// one's to anyone, whichever the last scan met first.
	var s serverList
	f.getJSON(t, "/v0.1/servers/io.github.acme%2Fnotes/versions", http.StatusOK, &s)
	if fmt.Sprint(entries(s)) != fmt.Sprint([]string{notesServer + "@0.3.0(latest)"}) {
		t.Errorf("notes for anyone: %v", entries(s))
	}

	// Another site's page gets the anonymous answer even with the
	// browser's remembered credentials; following a link keeps them.
	crossSite := []string{asAlice, "Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: no-cors", "Sec-Fetch-Dest: image"}
	if got := f.observe(t, "/v1/bundles/@a-secret/weather/badge.svg", crossSite...); got.status != http.StatusNotFound {
		t.Errorf("cross-site badge with alice's credentials: %d", got.status)
	}
	navigate := []string{asAlice, "Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: navigate", "Sec-Fetch-Dest: document"}
	if got := f.observe(t, "/v1/bundles/@a-secret/weather", navigate...); got.status != http.StatusOK {
		t.Errorf("link followed to alice's bundle: %d", got.status)
	}

	// Public badges stay cacheable by shared caches, keyed by credentials.
	if got := f.observe(t, "/v1/bundles/@acme/weather/badge.svg"); got.cacheControl != "public, max-age=300" || got.vary != "Authorization" {
		t.Errorf("public badge: Cache-Control %q, Vary %q", got.cacheControl, got.vary)
	}
}

// The MCP Registry list hides private servers, and its cursors walk the
// public ones in full pages without ever naming a private one.
func TestReadRuleServers(t *testing.T) {
	f, _ := readRuleFixture(t)
	walk := func(query string, limit int, headers ...string) []string {
		var got []string
		cursor := ""
		for page := 0; ; page++ {
			path := fmt.Sprintf("/v0.1/servers?limit=%d&%s", limit, query)
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			resp, body := f.get(t, path, headers...)
			var l serverList
			if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &l) != nil {
				t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
			}
			if len(headers) == 0 && bytes.Contains(body, []byte("secret")) {
				t.Errorf("%s names a hidden server: %s", path, body)
			}
			got = append(got, entries(l)...)
			if l.Metadata.NextCursor == "" {
				if l.Metadata.Count == 0 && page > 0 {
					t.Errorf("%s limit %d: the last page is empty", query, limit)
				}
				return got
			}
			if l.Metadata.Count != limit {
				t.Errorf("%s limit %d: page %d has %d servers and a cursor", query, limit, page, l.Metadata.Count)
			}
			c, _ := base64.RawURLEncoding.DecodeString(l.Metadata.NextCursor)
			if len(headers) == 0 && strings.Contains(string(c), secretPrefix) {
				t.Errorf("cursor %q names a hidden repository", c)
			}
			cursor = l.Metadata.NextCursor
			if page > 200 {
				t.Fatal("cursors do not end")
			}
		}
	}
	var all serverList
	f.getJSON(t, "/v0.1/servers?limit=100", http.StatusOK, &all)
	want := entries(all)
	if len(want) != 30 || all.Metadata.NextCursor != "" {
		t.Fatalf("%d servers listed (cursor %q), want the 30 public ones: %v", len(want), all.Metadata.NextCursor, want)
	}
	for _, e := range want {
		if strings.Contains(e, "secret") || strings.HasPrefix(e, notesServer+"@9") {
			t.Errorf("lists %s", e)
		}
	}
	for _, limit := range []int{1, 4, 29, 30} {
		if got := walk("", limit); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("limit %d: walked\n%v\nwant\n%v", limit, got, want)
		}
	}
	if got := walk("version=latest", 7); len(got) != 28 {
		t.Errorf("version=latest: %d servers, want 28", len(got))
	}
	if got := walk("search=secret", 5); len(got) != 0 {
		t.Errorf("search=secret: %v", got)
	}
	if got := walk("search=notes", 5); fmt.Sprint(got) != fmt.Sprint([]string{notesServer + "@0.3.0(latest)"}) {
		t.Errorf("search=notes: %v", got)
	}
	// A cursor made up to name a hidden repository pages on from there,
	// as one naming a repository that never existed does.
	for _, after := range []string{secretPrefix + "gen-050@1.0.0", secretPrefix + "gen-050x@1.0.0"} {
		var l serverList
		f.getJSON(t, "/v0.1/servers?limit=2&cursor="+b64(after), http.StatusOK, &l)
		if fmt.Sprint(entries(l)) != fmt.Sprint(want[:2]) {
			t.Errorf("after %s: %v", after, entries(l))
		}
	}

	mine := walk("", 50, asAlice)
	if len(mine) != 30+124 || !slices.Contains(mine, "io.github.secret/only@1.0.0(latest)") ||
		!slices.Contains(mine, "com.example.registry.a-secret/weather@2.0.0(latest)") {
		t.Errorf("alice walks %d servers, want %d with the secret ones", len(mine), 30+124)
	}
}
