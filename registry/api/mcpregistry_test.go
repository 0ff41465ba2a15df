package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	officialv0 "github.com/modelcontextprotocol/registry/pkg/api/v0"
	officialmodel "github.com/modelcontextprotocol/registry/pkg/model"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
)

// namePattern is the server name pattern of the official types (and
// schema).
var namePattern = func() *regexp.Regexp {
	f, _ := reflect.TypeFor[officialv0.ServerJSON]().FieldByName("Name")
	return regexp.MustCompile(f.Tag.Get("pattern"))
}()

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

// A server's name is the same however the server is reached: without a
// public host it is in DefaultServerNamespace. Download URLs follow the
// request, https but for plain http to a loopback host.
func TestServerNameIgnoresHost(t *testing.T) {
	f := newFixture(t, Options{}, fixtureVersions()[:2], nil)
	layer := "/v2/acme/weather/blobs/" + digestOf("layer acme/weather@1.1.0/linux/amd64")
	for _, tc := range []struct{ host, proto, base string }{
		{"localhost:5000", "", "http://localhost:5000"},
		{"127.0.0.1:5000", "", "http://127.0.0.1:5000"},
		{"[::1]:5000", "", "http://[::1]:5000"},
		{"127.0.0.1:5000", "https", "https://127.0.0.1:5000"},
		{"mpakd.example.com", "", "https://mpakd.example.com"},
		{"10.1.2.3:5000", "", "https://10.1.2.3:5000"},
	} {
		headers := []string{"Host: " + tc.host}
		if tc.proto != "" {
			headers = append(headers, "X-Forwarded-Proto: "+tc.proto)
		}
		var s serverResponse
		f.getJSON(t, "/v0.1/servers/localhost.acme%2Fweather/versions/latest", http.StatusOK, &s, headers...)
		if s.Server.Name != "localhost.acme/weather" {
			t.Errorf("Host %s: name %q, want localhost.acme/weather", tc.host, s.Server.Name)
		}
		if len(s.Server.Packages) == 0 || s.Server.Packages[0].Identifier != tc.base+layer {
			t.Errorf("Host %s: packages %+v, want the first at %s", tc.host, s.Server.Packages, tc.base+layer)
		}
		var l serverList
		f.getJSON(t, "/v0.1/servers?search=weather", http.StatusOK, &l, headers...)
		for _, e := range entries(l) {
			if !strings.HasPrefix(e, "localhost.acme/weather@") {
				t.Errorf("Host %s: listed %s", tc.host, e)
			}
		}
	}
}

// Every server the API lists, decoded into the official MCP Registry's own
// Go types (its pkg/api/v0), refusing fields they do not know, and checked
// against the constraints their tags declare (the ones its server.json
// schema is generated from) and the rules its publish-time validation
// applies to mcpb packages and repositories.
func TestServerSchemaFields(t *testing.T) {
	f := markedFixture(t) // yanked and tampered versions among them
	_, body := f.get(t, "/v0.1/servers")
	var l officialv0.ServerListResponse
	decodeOfficial(t, body, &l)
	byKey := map[string]catalog.Version{}
	for _, v := range append(fixtureVersions(), markedVersions()...) {
		byKey[v.Repository+":"+v.Version] = v
	}
	statuses := map[string]bool{}
	for _, item := range l.Servers {
		s := item.Server
		what := s.Name + "@" + s.Version
		checkTags(t, what, reflect.ValueOf(item))
		if o := item.Meta.Official; o != nil && (o.Status == officialmodel.StatusDeprecated) != (o.StatusMessage != nil) ||
			o != nil && o.StatusMessage != nil && utf8.RuneCountInString(*o.StatusMessage) > 500 {
			t.Errorf("%s: status %s with message %v: a deprecated version says why, in at most 500 characters", what, o.Status, o.StatusMessage)
		}
		if s.Schema != officialmodel.CurrentSchemaURL {
			t.Errorf("%s: $schema %q, want %q", what, s.Schema, officialmodel.CurrentSchemaURL)
		}
		if o := item.Meta.Official; o == nil || o.PublishedAt.Year() < 2000 || o.StatusChangedAt.Before(o.PublishedAt) || o.UpdatedAt.IsZero() {
			t.Errorf("%s: official meta %+v", what, item.Meta.Official)
		} else {
			statuses[string(item.Meta.Official.Status)] = true
		}
		// The version is found by the repository its files are in.
		if len(s.Packages) == 0 {
			t.Fatalf("%s: no packages", what)
		}
		repository, _, _ := strings.Cut(strings.TrimPrefix(s.Packages[0].Identifier, "https://"+testHost+"/v2/"), "/blobs/")
		v, ok := byKey[repository+":"+s.Version]
		if !ok {
			t.Fatalf("%s: package %s is not in a fixture repository", what, s.Packages[0].Identifier)
		}
		if len(s.Packages) != len(v.Builds) {
			t.Errorf("%s: %d packages for %d builds, want one mcpb per build (and no oci package: a bundle is not an image)", what, len(s.Packages), len(v.Builds))
		}
		for j, p := range s.Packages {
			b := v.Builds[j]
			if p.RegistryType != officialmodel.RegistryTypeMCPB || p.FileSHA256 != strings.TrimPrefix(b.LayerDigest, "sha256:") ||
				p.Identifier != "https://"+testHost+"/v2/"+v.Repository+"/blobs/"+b.LayerDigest {
				t.Errorf("%s: package %d %+v, want the mcpb of %s", what, j, p, b.LayerDigest)
			}
			// The official registry's rules for mcpb packages.
			if p.Version != "" || p.RegistryBaseURL != "" || p.RunTimeHint != "" {
				t.Errorf("%s: mcpb package %+v has a version, registryBaseUrl or runtimeHint", what, p)
			}
			if p.Transport.Type != officialmodel.TransportTypeStdio || p.Transport.URL != "" {
				t.Errorf("%s: transport %+v, want stdio", what, p.Transport)
			}
		}
		if r := s.Repository; r != nil {
			forge := map[string]string{"github": "https://github.com/", "gitlab": "https://gitlab.com/"}[r.Source]
			if forge == "" || !strings.HasPrefix(r.URL, forge) {
				t.Errorf("%s: repository %+v: the source must be github or gitlab, with a URL on that forge", what, r)
			}
		}
		if strings.Contains(s.Name, "weather") {
			if !strings.HasSuffix(s.Description, "…") || !strings.HasPrefix(longDescription, strings.TrimSuffix(s.Description, "…")) {
				t.Errorf("%s: long description cut to %q, want a prefix and an ellipsis", what, s.Description)
			}
			if s.Title != "Weather" || s.WebsiteURL != "https://acme.example/weather" {
				t.Errorf("%s: title %q websiteUrl %q", what, s.Title, s.WebsiteURL)
			}
			if r := s.Repository; r == nil || r.URL != "https://github.com/acme/weather" || r.Source != "github" {
				t.Errorf("%s: repository %+v", what, r)
			}
		}
	}
	if len(l.Servers) != len(byKey) || l.Metadata.Count != len(byKey) || !statuses["active"] || !statuses["deprecated"] {
		t.Errorf("%d servers with statuses %v: want every version, active and deprecated ones", len(l.Servers), statuses)
	}

	// Which file is which platform is said in our _meta extension.
	var raw struct {
		Servers []struct {
			Server serverDetail `json:"server"`
		} `json:"servers"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, item := range raw.Servers {
		s := item.Server
		if s.Meta == nil || len(s.Meta.Builds) != len(s.Packages) {
			t.Fatalf("%s: _meta %+v, want a build per package", s.Name, s.Meta)
		}
		for j, b := range s.Meta.Builds {
			if b.Identifier != s.Packages[j].Identifier || b.Platform == "" || b.Size <= 0 {
				t.Errorf("%s: _meta build %+v for package %s", s.Name, b, s.Packages[j].Identifier)
			}
		}
	}
}

// decodeOfficial decodes an MCP Registry API answer into the official
// types, refusing fields they lack. The server's _meta may carry vendor
// keys besides the official one, which the schema allows and its Go type
// does not declare: those (reverse-DNS keyed) are set aside first.
func decodeOfficial(t *testing.T, body []byte, out any) {
	t.Helper()
	var generic any
	if err := json.Unmarshal(body, &generic); err != nil {
		t.Fatal(err)
	}
	var strip func(any)
	strip = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			if s, ok := x["server"].(map[string]any); ok {
				if m, ok := s["_meta"].(map[string]any); ok {
					for k := range m {
						if k != "io.modelcontextprotocol.registry/publisher-provided" {
							if !regexp.MustCompile(`^[a-z0-9]+(\.[a-z0-9-]+)+/[a-z0-9-]+$`).MatchString(k) {
								t.Errorf("server _meta key %q is not reverse-DNS keyed", k)
							}
							delete(m, k)
						}
					}
				}
			}
			for _, v := range x {
				strip(v)
			}
		case []any:
			for _, v := range x {
				strip(v)
			}
		}
	}
	strip(generic)
	clean, err := json.Marshal(generic)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(clean))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		t.Fatalf("decoding into the official types: %v\n%s", err, body)
	}
}

// checkTags checks a value against the validation tags of the official
// types (pattern, minLength, maxLength, enum, format:"uri"), which the
// official registry turns into its server.json schema.
func checkTags(t *testing.T, what string, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			checkTags(t, what, v.Elem())
		}
	case reflect.Slice:
		for i := range v.Len() {
			checkTags(t, what, v.Index(i))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			field, fv := v.Type().Field(i), v.Field(i)
			if !field.IsExported() {
				continue
			}
			name := what + "." + strings.Split(field.Tag.Get("json"), ",")[0]
			if fv.Kind() == reflect.String {
				checkString(t, name, field.Tag, fv.String())
			}
			checkTags(t, name, fv)
		}
	}
}

func checkString(t *testing.T, name string, tag reflect.StructTag, s string) {
	t.Helper()
	omitted := s == "" && strings.Contains(tag.Get("json"), "omitempty")
	if omitted {
		return
	}
	n := utf8.RuneCountInString(s)
	if m, err := strconv.Atoi(tag.Get("minLength")); err == nil && n < m {
		t.Errorf("%s = %q: shorter than %d", name, s, m)
	}
	if m, err := strconv.Atoi(tag.Get("maxLength")); err == nil && n > m {
		t.Errorf("%s = %q: longer than %d", name, s, m)
	}
	if p := tag.Get("pattern"); p != "" && !regexp.MustCompile(p).MatchString(s) {
		t.Errorf("%s = %q does not match %s", name, s, p)
	}
	if e := tag.Get("enum"); e != "" && !slices.Contains(strings.Split(e, ","), s) {
		t.Errorf("%s = %q is not one of %s", name, s, e)
	}
	if tag.Get("format") == "uri" {
		if u, err := url.Parse(s); err != nil || u.Scheme == "" || u.Host == "" {
			t.Errorf("%s = %q is not an absolute URI", name, s)
		}
	}
}

func TestServerNamespace(t *testing.T) {
	for _, tc := range []struct{ publicHost, want string }{
		{"", "localhost"},
		{"localhost:5000", "localhost"},
		{"127.0.0.1:5000", "localhost"},
		{"[::1]:5000", "localhost"},
		{"registry.example.com", "com.example.registry"},
		{"Registry.Example.com.:443", "com.example.registry"},
		{"ghcr.io", "io.ghcr"},
		{"10.1.2.3:5000", "arpa.in-addr.10.1.2.3"},
		{"[2001:db8::1]:5000", "arpa.ip6.2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1"},
		{"under_score.example", "localhost"}, // not a host name
	} {
		if got := serverNamespace(tc.publicHost); got != tc.want {
			t.Errorf("serverNamespace(%q) = %q, want %q", tc.publicHost, got, tc.want)
		}
	}
}

func TestDerivedName(t *testing.T) {
	for _, tc := range []struct{ publicHost, repository, want string }{
		{"", "acme/weather", "localhost.acme/weather"},
		{"registry.example.com", "acme/weather", "com.example.registry.acme/weather"},
		{"Registry.Example.com:443", "org/team/tool", "com.example.registry.org.team/tool"},
		{"ghcr.io", "weather", "io.ghcr/weather"},
		{"localhost", "my_org/my_tool", "localhost.my-org/my_tool"},
		{"10.1.2.3", "a__b/c.d-e", "arpa.in-addr.10.1.2.3.a--b/c.d-e"},
	} {
		got := derivedName(serverNamespace(tc.publicHost), tc.repository)
		if got != tc.want {
			t.Errorf("derivedName(%q, %q) = %q, want %q", tc.publicHost, tc.repository, got, tc.want)
		}
		if !namePattern.MatchString(got) || !serverNamePattern.MatchString(got) || len(got) > 200 {
			t.Errorf("derivedName(%q, %q) = %q is not a valid server name", tc.publicHost, tc.repository, got)
		}
		for _, label := range strings.Split(got[:strings.IndexByte(got, '/')], ".") {
			if !dnsLabel.MatchString(label) {
				t.Errorf("derivedName(%q, %q) = %q: namespace label %q is not a DNS label", tc.publicHost, tc.repository, got, label)
			}
		}
	}
}

// The repository a derived name was made from is among its candidates.
func TestDerivedCandidates(t *testing.T) {
	for _, repository := range []string{"acme/weather", "weather", "org/team/tool", "a.b/tool", "acme/my_tool"} {
		for _, ns := range []string{"localhost", "com.example.registry"} {
			name := derivedName(ns, repository)
			if c := derivedCandidates(ns, name); !slices.Contains(c, repository) {
				t.Errorf("derivedCandidates(%q, %q) = %v, want %s among them", ns, name, c, repository)
			}
		}
	}
	if c := derivedCandidates("localhost", "io.github.acme/notes"); len(c) != 0 {
		t.Errorf("a name from another namespace has candidates %v", c)
	}
}

// Repository is the official schema's: source names the forge, github or
// gitlab, for a repository URL there; other source addresses are the
// website when there is none.
func TestSourceOf(t *testing.T) {
	for _, tc := range []struct{ raw, website, wantURL, wantSource, wantWebsite string }{
		{"https://github.com/acme/weather", "", "https://github.com/acme/weather", "github", ""},
		{"git+https://github.com/acme/weather.git", "https://acme.example", "https://github.com/acme/weather", "github", "https://acme.example"},
		{"https://www.github.com/acme/weather/", "", "https://github.com/acme/weather", "github", ""},
		{"https://gitlab.com/group/sub/project", "", "https://gitlab.com/group/sub/project", "gitlab", ""},
		{"https://github.com/acme/weather/tree/main/server", "", "", "", "https://github.com/acme/weather/tree/main/server"},
		{"https://gitlab.com/group/project/-/tree/main", "", "", "", "https://gitlab.com/group/project/-/tree/main"},
		{"https://git.example/acme/weather", "", "", "", "https://git.example/acme/weather"},
		{"https://git.example/acme/weather", "https://acme.example", "", "", "https://acme.example"},
		{"javascript:alert(1)", "", "", "", ""},
	} {
		r, website := sourceOf(tc.raw, tc.website)
		var gotURL, gotSource string
		if r != nil {
			gotURL, gotSource = r.URL, r.Source
		}
		if gotURL != tc.wantURL || gotSource != tc.wantSource || website != tc.wantWebsite {
			t.Errorf("sourceOf(%q, %q) = %q %q, website %q; want %q %q, %q", tc.raw, tc.website, gotURL, gotSource, website, tc.wantURL, tc.wantSource, tc.wantWebsite)
		}
	}
}

// /v0.1/version and /v0.1/health answer as the official registry's do.
func TestVersionAndHealth(t *testing.T) {
	f := defaultFixture(t)
	for _, prefix := range []string{"/v0.1", "/v0"} {
		var v map[string]string
		f.getJSON(t, prefix+"/version", http.StatusOK, &v)
		if len(v) != 3 || v["version"] == "" || v["git_commit"] == "" || v["build_time"] == "" {
			t.Errorf("%s/version: %v, want version, git_commit and build_time", prefix, v)
		}
		var h map[string]string
		f.getJSON(t, prefix+"/health", http.StatusOK, &h)
		if len(h) != 1 || h["status"] != "ok" {
			t.Errorf("%s/health: %v, want {\"status\":\"ok\"}", prefix, h)
		}
	}
	stamped := newFixture(t, Options{Version: "v1.2.3"}, nil, nil)
	var v map[string]string
	stamped.getJSON(t, "/v0.1/version", http.StatusOK, &v)
	if v["version"] != "v1.2.3" {
		t.Errorf("version %q, want the stamped v1.2.3", v["version"])
	}

	// A catalog that cannot be read is unhealthy.
	store, err := sqlite.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	srv := httptest.NewServer(New(Options{Store: store, Logger: slogTo(io.Discard)}))
	defer srv.Close()
	(&fixture{srv: srv}).wantProblem(t, "/v0.1/health", http.StatusServiceUnavailable, "catalog cannot be read")
}

// Errors under /v0.1 (and /v0) are problem details, as the official
// registry answers them; /v1 keeps its own shape.
func TestMCPRegistryErrors(t *testing.T) {
	f := defaultFixture(t)
	f.wantProblem(t, "/v0.1/servers/io.github.acme%2Fnothing/versions", http.StatusNotFound, "not found")
	f.wantProblem(t, "/v0/servers/x", http.StatusNotFound, "%2F")
	f.wantProblem(t, "/v0.1/servers?limit=0", http.StatusBadRequest, "from 1 to 100")
	f.wantProblem(t, "/v0.1/nothing", http.StatusNotFound, "/v0.1/servers")
	f.wantError(t, "/v1/other", http.StatusNotFound, codeNotFound, "/v1/bundles/search")

	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/v0.1/publish", strings.NewReader("{}"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || resp.StatusCode != http.StatusMethodNotAllowed ||
		p["status"] != float64(http.StatusMethodNotAllowed) || p["title"] != "Method Not Allowed" {
		t.Errorf("POST /v0.1/publish: %d %v (%v), want a 405 problem", resp.StatusCode, p, err)
	}
}

// wantProblem requires a problem-details body, exactly {title, status,
// detail}, with a detail containing every part of want.
func (f *fixture) wantProblem(t *testing.T, path string, status int, want ...string) {
	t.Helper()
	resp, body := f.get(t, path)
	if resp.StatusCode != status || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("GET %s: %d %s, want %d application/problem+json; body %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), status, body)
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil || len(raw) != 3 {
		t.Fatalf("GET %s: body %s, want exactly title, status and detail", path, body)
	}
	detail, _ := raw["detail"].(string)
	if raw["title"] != http.StatusText(status) || raw["status"] != float64(status) {
		t.Errorf("GET %s: %s, want title %q and status %d", path, body, http.StatusText(status), status)
	}
	for _, w := range want {
		if !strings.Contains(detail, w) {
			t.Errorf("GET %s: detail %q does not contain %q", path, detail, w)
		}
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
