package api

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mpak-oci/mpak/registry/index"
)

// Derived server names on the fixture's host.
const (
	weatherServer = "com.example.registry.acme/weather"
	toolServer    = "com.example.registry.org.team/tool"
	notesServer   = "io.github.acme/notes" // declared by annotation
)

// entry is a listed server as "name@version(latest)".
func entries(l serverList) []string {
	var out []string
	for _, s := range l.Servers {
		e := s.Server.Name + "@" + s.Server.Version
		if s.Meta.Official.IsLatest {
			e += "(latest)"
		}
		out = append(out, e)
	}
	return out
}

func TestListServers(t *testing.T) {
	f := defaultFixture(t)
	var l serverList
	f.getJSON(t, "/v0.1/servers", http.StatusOK, &l)
	want := []string{
		notesServer + "@0.3.0(latest)",
		weatherServer + "@1.0.0", weatherServer + "@1.1.0(latest)", weatherServer + "@2.0.0-rc.1",
		toolServer + "@1.0.0(latest)",
	}
	if fmt.Sprint(entries(l)) != fmt.Sprint(want) || l.Metadata.Count != 5 || l.Metadata.NextCursor != "" {
		t.Errorf("servers %v count %d cursor %q\nwant %v, 5, no cursor", entries(l), l.Metadata.Count, l.Metadata.NextCursor, want)
	}
	s := l.Servers[2].Meta.Official
	if s.Status != "active" || !s.PublishedAt.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)) ||
		!s.UpdatedAt.Equal(time.Date(2026, 2, 1, 0, 1, 0, 0, time.UTC)) {
		t.Errorf("official meta of weather 1.1.0: %+v", s)
	}

	for query, want := range map[string][]string{
		"version=latest": {notesServer + "@0.3.0(latest)", weatherServer + "@1.1.0(latest)", toolServer + "@1.0.0(latest)"},
		"version=1.0.0":  {weatherServer + "@1.0.0", toolServer + "@1.0.0(latest)"},
		// Indexed after: 1.1.0 on 2026-02-01T00:01, 2.0.0-rc.1 in March.
		"updated_since=2026-02-01T00:00:30Z":                {weatherServer + "@1.1.0(latest)", weatherServer + "@2.0.0-rc.1"},
		"updated_since=2026-02-01T01:00:30%2B01:00":         {weatherServer + "@1.1.0(latest)", weatherServer + "@2.0.0-rc.1"},
		"updated_since=2026-02-01T00:00:30Z&version=latest": {weatherServer + "@1.1.0(latest)"},
		"search=WEATHER": {weatherServer + "@1.0.0", weatherServer + "@1.1.0(latest)", weatherServer + "@2.0.0-rc.1"},
		"search=" + url.QueryEscape("take & search"):                           {notesServer + "@0.3.0(latest)"}, // description
		"search=io.github":                                                     {notesServer + "@0.3.0(latest)"},
		"search=org.team/":                                                     {toolServer + "@1.0.0(latest)"},
		"search=weather&version=latest":                                        {weatherServer + "@1.1.0(latest)"},
		"search=nothing-like-this":                                             nil,
		"updated_since=2027-01-01T00:00:00Z&search=weather":                    nil,
		"search=weather&version=2.0.0-rc.1&updated_since=2026-01-01T00:00:00Z": {weatherServer + "@2.0.0-rc.1"},
	} {
		var l serverList
		f.getJSON(t, "/v0.1/servers?"+query, http.StatusOK, &l)
		if fmt.Sprint(entries(l)) != fmt.Sprint(want) || l.Metadata.Count != len(want) || l.Servers == nil {
			t.Errorf("%s: %v (count %d), want %v", query, entries(l), l.Metadata.Count, want)
		}
	}
}

func TestListServersValidation(t *testing.T) {
	f := defaultFixture(t)
	for query, want := range map[string]string{
		"limit=0":                  "from 1 to 100",
		"limit=101":                "from 1 to 100",
		"cursor=not-base64!":       "metadata.nextCursor",
		"cursor=" + b64("nope"):    "metadata.nextCursor",
		"updated_since=yesterday":  "RFC 3339",
		"updated_since=2026-01-01": "RFC 3339",
	} {
		f.wantError(t, "/v0.1/servers?"+query, http.StatusBadRequest, codeBadRequest, want)
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// Walking the cursors yields every version exactly once, in order, with
// full pages until the last, and no empty page at the end.
func TestListServersPaging(t *testing.T) {
	versions := fixtureVersions()
	for i := range 20 {
		repo := fmt.Sprintf("gen/tool-%02d", i)
		versions = append(versions, version(repo, "1.0.0", "node", "Generated", "any"), version(repo, "1.1.0", "node", "Generated", "any"))
	}
	f := newFixture(t, Options{PublicHost: testHost}, versions, nil)

	walk := func(query string, limit int) []string {
		var got []string
		cursor := ""
		for page := 0; ; page++ {
			path := fmt.Sprintf("/v0.1/servers?limit=%d&%s", limit, query)
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			var l serverList
			f.getJSON(t, path, http.StatusOK, &l)
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
			cursor = l.Metadata.NextCursor
			if page > 100 {
				t.Fatal("cursors do not end")
			}
		}
	}
	var all serverList
	f.getJSON(t, "/v0.1/servers?limit=100", http.StatusOK, &all)
	want := entries(all)
	if len(want) != 45 {
		t.Fatalf("%d versions listed, want 45", len(want))
	}
	for _, limit := range []int{1, 2, 7, 9, 44, 45} {
		if got := walk("", limit); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("limit %d: walked\n%v\nwant\n%v", limit, got, want)
		}
	}
	// Filtered walks: the cursor resumes after the last item returned.
	var tools []string
	for _, e := range want {
		if strings.Contains(e, "tool") {
			tools = append(tools, e)
		}
	}
	for _, limit := range []int{1, 3, 41} {
		if got := walk("search=tool", limit); fmt.Sprint(got) != fmt.Sprint(tools) {
			t.Errorf("search=tool limit %d: walked\n%v\nwant\n%v", limit, got, tools)
		}
	}
	if got := walk("version=latest", 4); len(got) != 23 {
		t.Errorf("version=latest walked %d servers, want 23 (one per repository)", len(got))
	}
	seen := map[string]bool{}
	for _, e := range walk("", 3) {
		if seen[e] {
			t.Errorf("%s listed twice", e)
		}
		seen[e] = true
	}
}

func TestServerVersions(t *testing.T) {
	f := defaultFixture(t)
	for _, path := range []string{
		"/v0.1/servers/com.example.registry.acme%2Fweather/versions",
		"/v0.1/servers/com.example.registry.acme/weather/versions",
		"/v0/servers/com.example.registry.acme%2Fweather/versions",
	} {
		var l serverList
		f.getJSON(t, path, http.StatusOK, &l)
		want := []string{weatherServer + "@2.0.0-rc.1", weatherServer + "@1.1.0(latest)", weatherServer + "@1.0.0"}
		if fmt.Sprint(entries(l)) != fmt.Sprint(want) || l.Metadata.Count != 3 {
			t.Errorf("%s: %v, want %v", path, entries(l), want)
		}
	}
	for path, want := range map[string]string{
		"/v0.1/servers/com.example.registry.acme%2Fweather/versions/latest":     weatherServer + "@1.1.0(latest)",
		"/v0.1/servers/com.example.registry.acme%2Fweather/versions/2.0.0-rc.1": weatherServer + "@2.0.0-rc.1",
		"/v0.1/servers/com.example.registry.acme/weather/versions/1.0.0":        weatherServer + "@1.0.0",
		"/v0.1/servers/io.github.acme%2Fnotes/versions/latest":                  notesServer + "@0.3.0(latest)",
		"/v0.1/servers/io.github.acme%2Fnotes/versions/0.3.0":                   notesServer + "@0.3.0(latest)",
		"/v0.1/servers/com.example.registry.org.team%2Ftool/versions/latest":    toolServer + "@1.0.0(latest)",
	} {
		var s serverResponse
		f.getJSON(t, path, http.StatusOK, &s)
		if got := entries(serverList{Servers: []serverResponse{s}}); got[0] != want {
			t.Errorf("%s: %s, want %s", path, got[0], want)
		}
	}
	// The annotation is the name: the derived one does not also answer.
	f.wantError(t, "/v0.1/servers/com.example.registry.acme%2Fnotes/versions", http.StatusNotFound, codeNotFound, "not found")
	f.wantError(t, "/v0.1/servers/io.github.acme%2Fnothing/versions", http.StatusNotFound, codeNotFound, "/v0.1/servers?search=nothing")
	f.wantError(t, "/v0.1/servers/com.example.registry.acme%2Fweather/versions/9.0.0", http.StatusNotFound, codeNotFound,
		`no version "9.0.0"`, "com.example.registry.acme%2Fweather/versions")
	f.wantError(t, "/v0.1/servers/com.example.registry.acme%2Fweather", http.StatusNotFound, codeNotFound, "/versions")
}

// Without PublicHost the request's host names servers and identifiers.
func TestServerRequestHost(t *testing.T) {
	f := newFixture(t, Options{}, fixtureVersions()[:2], nil)
	var s serverResponse
	f.getJSON(t, "/v0.1/servers/localhost.acme%2Fweather/versions/latest", http.StatusOK, &s, "Host: localhost:5000")
	if s.Server.Name != "localhost.acme/weather" {
		t.Errorf("name %q, want localhost.acme/weather", s.Server.Name)
	}
	want := "http://localhost:5000/v2/acme/weather/blobs/" + digestOf("layer acme/weather@1.1.0/linux/amd64")
	if s.Server.Packages[0].Identifier != want {
		t.Errorf("identifier %q, want %q", s.Server.Packages[0].Identifier, want)
	}
	if oci := s.Server.Packages[len(s.Server.Packages)-1]; oci.Identifier != "localhost:5000/acme/weather:1.1.0" {
		t.Errorf("oci identifier %q", oci.Identifier)
	}
}

var (
	namePattern = regexp.MustCompile(`^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$`)
	sha256Hex   = regexp.MustCompile(`^[a-f0-9]{64}$`)
)

// What the server.json schema requires of what we serve, read as plain
// JSON so the field names themselves are checked.
func TestServerSchemaFields(t *testing.T) {
	f := markedFixture(t) // yanked and tampered versions among them
	_, body := f.get(t, "/v0.1/servers", "X-Forwarded-Proto: https")
	var l struct {
		Servers []struct {
			Server map[string]any `json:"server"`
			Meta   map[string]any `json:"_meta"`
		} `json:"servers"`
	}
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatal(err)
	}
	byKey := map[string]index.Version{}
	for _, v := range append(fixtureVersions(), markedVersions()...) {
		byKey[v.Repository+":"+v.Version] = v
		byKey[v.Repository+"@"+v.Digest] = v // a tampered version's identifier
	}
	statuses := map[string]bool{}
	for _, item := range l.Servers {
		s := item.Server
		name, _ := s["name"].(string)
		desc, _ := s["description"].(string)
		if !namePattern.MatchString(name) || len(name) < 3 || len(name) > 200 {
			t.Errorf("name %q does not match the schema", name)
		}
		if n := utf8.RuneCountInString(desc); n < 1 || n > 100 {
			t.Errorf("%s: description has %d characters, want 1 to 100", name, n)
		}
		if s["$schema"] != serverSchema || s["version"] == "" {
			t.Errorf("%s: $schema %v version %v", name, s["$schema"], s["version"])
		}
		officialSchema(t, name+"@"+fmt.Sprint(s["version"]), item.Meta)
		if o, ok := item.Meta["io.modelcontextprotocol.registry/official"].(map[string]any); ok {
			statuses[fmt.Sprint(o["status"])] = true
		}
		// Find the version from its oci package: repository:tag, or
		// repository@digest for a tampered version.
		pkgs, _ := s["packages"].([]any)
		last, _ := pkgs[len(pkgs)-1].(map[string]any)
		ref, _ := last["identifier"].(string)
		v, ok := byKey[strings.TrimPrefix(ref, testHost+"/")]
		if last["registryType"] != "oci" || !ok || s["version"] != v.Version || (v.Tampered != "") != strings.Contains(ref, "@") {
			t.Fatalf("%s: last package %v is not the version's oci reference", name, last)
		}
		if len(pkgs) != len(v.Builds)+1 {
			t.Errorf("%s: %d packages for %d builds, want one mcpb per build and one oci", name, len(pkgs), len(v.Builds))
		}
		meta, _ := s["_meta"].(map[string]any)
		metaBuilds, _ := meta["dev.mpak/builds"].([]any)
		if len(metaBuilds) != len(v.Builds) {
			t.Errorf("%s: _meta builds %v, want one per build", name, meta)
		}
		for j, b := range v.Builds {
			p, _ := pkgs[j].(map[string]any)
			hexDigest := strings.TrimPrefix(b.LayerDigest, "sha256:")
			if p["registryType"] != "mcpb" || p["fileSha256"] != hexDigest || !sha256Hex.MatchString(hexDigest) ||
				p["identifier"] != "https://"+testHost+"/v2/"+v.Repository+"/blobs/"+b.LayerDigest {
				t.Errorf("%s: package %d %v, want the mcpb of %s", name, j, p, b.LayerDigest)
			}
			if _, has := p["version"]; has {
				t.Errorf("%s: mcpb package has a version, which the official registry refuses", name)
			}
			if tr, _ := p["transport"].(map[string]any); tr["type"] != "stdio" {
				t.Errorf("%s: transport %v", name, p["transport"])
			}
			mb, _ := metaBuilds[j].(map[string]any)
			if mb["identifier"] != p["identifier"] || mb["platform"] != b.Platform {
				t.Errorf("%s: _meta build %v, want platform %s for %s", name, mb, b.Platform, p["identifier"])
			}
		}
		if strings.Contains(name, "weather") {
			if !strings.HasSuffix(desc, "…") || !strings.HasPrefix(longDescription, strings.TrimSuffix(desc, "…")) {
				t.Errorf("%s: long description cut to %q, want a prefix and an ellipsis", name, desc)
			}
			if s["title"] != "Weather" || s["websiteUrl"] != "https://acme.example/weather" {
				t.Errorf("%s: title %v websiteUrl %v", name, s["title"], s["websiteUrl"])
			}
			if r, _ := s["repository"].(map[string]any); r["url"] != "https://github.com/acme/weather" || r["source"] != "github" {
				t.Errorf("%s: repository %v", name, s["repository"])
			}
		}
	}
	if len(l.Servers) != len(byKey)/2 || !statuses["active"] || !statuses["deprecated"] {
		t.Errorf("%d servers with statuses %v: want every version, active and deprecated ones", len(l.Servers), statuses)
	}
}

func TestDerivedName(t *testing.T) {
	for _, tc := range []struct{ host, repository, want string }{
		{"localhost:5000", "acme/weather", "localhost.acme/weather"},
		{"registry.example.com", "acme/weather", "com.example.registry.acme/weather"},
		{"Registry.Example.com:443", "org/team/tool", "com.example.registry.org.team/tool"},
		{"ghcr.io", "weather", "io.ghcr/weather"},
		{"127.0.0.1:5000", "acme/weather", "127.0.0.1.acme/weather"},
		{"[::1]:5000", "acme/weather", "00000000000000000000000000000001.acme/weather"},
		{"localhost", "my_org/my_tool", "localhost.my-org/my_tool"},
		{"", "acme/weather", "localhost.acme/weather"},
	} {
		got := derivedName(tc.host, tc.repository)
		if got != tc.want {
			t.Errorf("derivedName(%q, %q) = %q, want %q", tc.host, tc.repository, got, tc.want)
		}
		if !namePattern.MatchString(got) {
			t.Errorf("derivedName(%q, %q) = %q does not match the schema's pattern", tc.host, tc.repository, got)
		}
	}
}

// The repository a derived name was made from is among its candidates.
func TestDerivedCandidates(t *testing.T) {
	for _, repository := range []string{"acme/weather", "weather", "org/team/tool", "a.b/tool", "acme/my_tool"} {
		for _, host := range []string{"localhost:5000", "registry.example.com"} {
			name := derivedName(host, repository)
			if c := derivedCandidates(host, name); !slices.Contains(c, repository) {
				t.Errorf("derivedCandidates(%q, %q) = %v, want %s among them", host, name, c, repository)
			}
		}
	}
	if c := derivedCandidates("localhost", "io.github.acme/notes"); len(c) != 0 {
		t.Errorf("a name from another namespace has candidates %v", c)
	}
}

func TestTruncate(t *testing.T) {
	long := strings.Repeat("é", 150)
	if got := truncate(long, 100); utf8.RuneCountInString(got) != 100 || !strings.HasSuffix(got, "…") {
		t.Errorf("truncate: %d characters %q", utf8.RuneCountInString(got), got)
	}
	if got := truncate("  two\n lines ", 100); got != "two lines" {
		t.Errorf("truncate folds whitespace: %q", got)
	}
}

// A name remembered from a scan is dropped once its versions are gone.
func TestServerNameForgotten(t *testing.T) {
	f := defaultFixture(t)
	var s serverResponse
	f.getJSON(t, "/v0.1/servers/io.github.acme%2Fnotes/versions/latest", http.StatusOK, &s)
	if err := f.store.DeleteVersion(t.Context(), "acme/notes", "0.3.0"); err != nil {
		t.Fatal(err)
	}
	f.wantError(t, "/v0.1/servers/io.github.acme%2Fnotes/versions/latest", http.StatusNotFound, codeNotFound, "io.github.acme/notes")
	f.wantError(t, "/v1/bundles/@acme/notes", http.StatusNotFound, codeNotFound)
}
