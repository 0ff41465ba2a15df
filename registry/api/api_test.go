package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/search"
)

// testHost is the PublicHost of the fixture API.
const testHost = "registry.example.com"

// today is the pinned "now" of the fixture API; download days are relative
// to it.
var today = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

func digestOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func builds(repository, version string, platforms ...string) []catalog.Build {
	var out []catalog.Build
	for i, p := range platforms {
		seed := repository + "@" + version + "/" + p
		out = append(out, catalog.Build{Platform: p, ManifestDigest: digestOf("manifest " + seed),
			LayerDigest: digestOf("layer " + seed), Size: int64(1000*(i+1) + len(seed))})
	}
	return out
}

// version builds a realistic catalog entry, as the indexer would.
func version(repository, v, serverType, description string, platforms ...string) catalog.Version {
	name := repository[strings.LastIndexByte(repository, '/')+1:]
	manifest := fmt.Sprintf(`{"manifest_version":"0.3","name":%q,"version":%q,"description":%q,"author":{"name":"Acme"},"server":{"type":%q,"entry_point":"server/index.js"}}`,
		name, v, description, serverType)
	return catalog.Version{
		Repository:      repository,
		Version:         v,
		Tag:             v,
		Digest:          digestOf("index " + repository + "@" + v),
		Prerelease:      catalog.IsPrerelease(v),
		Name:            name,
		DisplayName:     strings.ToUpper(name[:1]) + name[1:],
		Description:     description,
		Keywords:        []string{"mcp", name},
		Author:          "Acme",
		License:         "MIT",
		Homepage:        "https://acme.example/" + name,
		SourceURL:       "https://github.com/acme/" + name,
		ServerType:      serverType,
		ManifestVersion: "0.3",
		Tools:           []catalog.Tool{{Name: name + "_get", Description: "Get " + name}, {Name: name + "_list"}},
		Prompts:         []string{"summarize"},
		UserConfigKeys:  []string{"api_key"},
		Builds:          builds(repository, v, platforms...),
		Annotations:     map[string]string{"org.opencontainers.image.created": "2026-01-02T03:04:05Z"},
		Manifest:        []byte(manifest),
		PublishedAt:     time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		IndexedAt:       time.Date(2026, 1, 2, 3, 5, 0, 0, time.UTC),
	}
}

const longDescription = "Weather forecasts, current conditions and severe weather alerts for any place on Earth, " +
	"from several public weather services, merged."

// fixtureVersions is the catalog most tests read:
//
//   - acme/weather: 1.0.0 (any), 1.1.0 (linux/amd64, darwin/any, any) and
//     2.0.0-rc.1 (linux/amd64, darwin/arm64), so the latest (1.1.0) is not
//     the highest version;
//   - acme/notes 0.3.0, which declares an official MCP server name;
//   - org/team/tool 1.0.0, a repository no @-name maps to.
func fixtureVersions() []catalog.Version {
	w1 := version("acme/weather", "1.0.0", "node", longDescription, "any")
	w2 := version("acme/weather", "1.1.0", "node", longDescription, "linux/amd64", "darwin/any", "any")
	w2.Signed, w2.Level = true, 2
	w2.PublishedAt, w2.IndexedAt = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 1, 0, 0, time.UTC)
	w3 := version("acme/weather", "2.0.0-rc.1", "binary", longDescription, "linux/amd64", "darwin/arm64")
	w3.PublishedAt, w3.IndexedAt = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 1, 0, 0, time.UTC)
	notes := version("acme/notes", "0.3.0", "python", "Take & search notes", "any")
	notes.Annotations[mediatypes.AnnotationMCPName] = "io.github.acme/notes"
	tool := version("org/team/tool", "1.0.0", "binary", "A team tool", "linux/arm64")
	return []catalog.Version{w1, w2, w3, notes, tool}
}

// fixtureDownloads: 14 downloads of acme/weather, 4 of them before the
// 90-day window, and one of acme/notes.
func fixtureDownloads() []catalog.Download {
	day := func(ago int) time.Time { return catalog.Day(today).AddDate(0, 0, -ago) }
	return []catalog.Download{
		{Repository: "acme/weather", Version: "1.1.0", Platform: "linux/amd64", Day: day(0), Count: 5},
		{Repository: "acme/weather", Version: "1.1.0", Platform: "any", Day: day(1), Count: 2},
		{Repository: "acme/weather", Version: "1.0.0", Platform: "any", Day: day(10), Count: 3},
		{Repository: "acme/weather", Version: "1.0.0", Platform: "any", Day: day(200), Count: 4},
		{Repository: "acme/notes", Version: "0.3.0", Platform: "any", Day: day(0), Count: 1},
	}
}

type fixture struct {
	store catalog.Store
	srv   *httptest.Server
}

// newFixture serves the fixture catalog with opts (Store filled in) and the
// clock pinned to today. Searches are answered by the search engine, as
// mpakd answers them.
func newFixture(t *testing.T, opts Options, versions []catalog.Version, downloads []catalog.Download) *fixture {
	t.Helper()
	return newFixtureSearching(t, opts, versions, downloads, true)
}

// newFixtureSearching is newFixture with searches answered by the search
// engine or, engine false, by the SQL store (mpakd --sql-search).
func newFixtureSearching(t *testing.T, opts Options, versions []catalog.Version, downloads []catalog.Download, engine bool) *fixture {
	t.Helper()
	store, err := sqlite.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	ctx := context.Background()
	for i := range versions {
		if err := store.PutVersion(ctx, &versions[i]); err != nil {
			t.Fatal(err)
		}
	}
	if len(downloads) > 0 {
		if err := store.AddDownloads(ctx, downloads); err != nil {
			t.Fatal(err)
		}
	}
	opts.Store = store
	if engine {
		e, err := search.New(ctx, store, search.Options{})
		if err != nil {
			t.Fatal(err)
		}
		opts.Store = e.Store(store)
	}
	a := newAPI(opts)
	a.now = func() time.Time { return today }
	srv := httptest.NewServer(a.routes())
	t.Cleanup(srv.Close)
	return &fixture{store: opts.Store, srv: srv}
}

func defaultFixture(t *testing.T) *fixture {
	return newFixture(t, Options{PublicHost: testHost}, fixtureVersions(), fixtureDownloads())
}

// noRedirects lets tests see redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// get requests path (already escaped) with headers "Key: value".
func (f *fixture) get(t *testing.T, path string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// getJSON requests path, requires status, and decodes the body into out.
func (f *fixture) getJSON(t *testing.T, path string, status int, out any, headers ...string) {
	t.Helper()
	resp, body := f.get(t, path, headers...)
	if resp.StatusCode != status {
		t.Fatalf("GET %s: status %d, want %d; body: %s", path, resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("GET %s: Content-Type %q, want application/json", path, ct)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("GET %s: decoding %s: %v", path, body, err)
	}
}

// wantError requires an error body with code and a message containing
// every part of want.
func (f *fixture) wantError(t *testing.T, path string, status int, code string, want ...string) {
	t.Helper()
	if p, _, _ := strings.Cut(path, "?"); isMCPRegistryPath(p) {
		f.wantProblem(t, path, status, want...) // its own shape, without codes
		return
	}
	var e catalogapi.Error
	f.getJSON(t, path, status, &e)
	if e.Err.Code != code {
		t.Errorf("GET %s: code %q, want %q (message %q)", path, e.Err.Code, code, e.Err.Message)
	}
	for _, w := range want {
		if !strings.Contains(e.Err.Message, w) {
			t.Errorf("GET %s: message %q does not contain %q", path, e.Err.Message, w)
		}
	}
}

func TestErrorShapes(t *testing.T) {
	f := defaultFixture(t)
	f.wantError(t, "/v1/bundles/@acme/nothing", http.StatusNotFound, codeNotFound, "@acme/nothing not found", "search?q=nothing")
	f.wantError(t, "/v1/bundles/@Acme/weather", http.StatusBadRequest, codeBadRequest, "lowercase", `"@acme/weather"`)
	f.wantError(t, "/v1/bundles/@acme", http.StatusBadRequest, codeBadRequest, "@scope/name")
	f.wantError(t, "/v1/bundles/@acme/weather/bogus", http.StatusNotFound, codeNotFound, "/versions")
	f.wantError(t, "/v1/other", http.StatusNotFound, codeNotFound, "/v1/bundles/search")
	f.wantError(t, "/v0.1/servers/x", http.StatusNotFound, codeNotFound, "%2F")

	// The raw error body is exactly {"error":{"code","message"}}.
	_, body := f.get(t, "/v1/bundles/@acme/nothing")
	var raw map[string]map[string]any
	if err := json.Unmarshal(body, &raw); err != nil || len(raw) != 1 || len(raw["error"]) != 2 {
		t.Errorf("error body %s: want exactly {\"error\":{\"code\",\"message\"}}", body)
	}

	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/v1/bundles/search", strings.NewReader("{}"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" ||
		resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("POST: status %d, Allow %q, Content-Type %q; want 405 with Allow: GET, HEAD as JSON",
			resp.StatusCode, resp.Header.Get("Allow"), resp.Header.Get("Content-Type"))
	}
}

// A store failure is a generic 500 for the client and a log line for the
// operator.
func TestStoreFailure(t *testing.T) {
	store, err := sqlite.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	store.Close() // every query now fails
	var logged strings.Builder
	srv := httptest.NewServer(New(Options{Store: store, Logger: slogTo(&logged)}))
	defer srv.Close()
	f := &fixture{srv: srv}
	f.wantError(t, "/v1/bundles/search?q=x", http.StatusInternalServerError, codeInternal, "mpakd log")
	if !strings.Contains(logged.String(), "api request failed") || !strings.Contains(logged.String(), "/v1/bundles/search") {
		t.Errorf("log %q does not record the failed request", logged.String())
	}
}

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
