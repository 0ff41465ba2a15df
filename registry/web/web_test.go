package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/search"
	"github.com/mpak-oci/mpak/registry/web"
)

// evilReadme tries every way a README could run script.
const evilReadme = "# Weather\n\nForecasts for **any** city.\n\n<script>window.__pwned = true</script>\n\n" +
	"[click me](javascript:window.__pwned=true)\n\n<img src=x onerror=\"window.__pwned=true\">\n\n| tool | does |\n|---|---|\n| forecast | tells |\n"

func version(repo, v, desc, readme string, level int, signed bool) *catalog.Version {
	d := func(s string) string {
		return "sha256:" + strings.Repeat(string("0123456789abcdef"[len(s)%16]), 64)
	}
	return &catalog.Version{Repository: repo, Version: v, Tag: v, Digest: d(repo + v), Name: repo[strings.LastIndex(repo, "/")+1:],
		DisplayName: "Weather Station", Description: desc, LongDescription: readme, ServerType: "node", ManifestVersion: "0.3",
		Tools: []catalog.Tool{{Name: "forecast", Description: "The forecast for a city"}}, UserConfigKeys: []string{"api_key"},
		Builds: []catalog.Build{{Platform: "linux/amd64", ManifestDigest: d("m" + repo + v), LayerDigest: d("l" + repo + v), Size: 2048}},
		Manifest: []byte(`{"manifest_version":"0.3","name":"weather","version":"` + v + `","description":"d","author":{"name":"a"},
  "server":{"type":"node","entry_point":"s.js","mcp_config":{"command":"node","args":["s.js"]}},
  "user_config":{"api_key":{"type":"string","title":"API key","description":"Your key","required":true,"sensitive":true}}}`),
		Level: level, Signed: signed, PublishedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		ScanReport: []byte(`{"controls":[{"id":"L1.secrets","title":"no secrets","status":"fail","message":"1 secret","evidence":[{"file":"server/config.js","line":3,"message":"GitHub token"}],"remediation":"rotate it"}]}`)}
}

// ghProvenance is what a release workflow's keyless signature and SLSA
// attestation claim, as the indexer stores it.
const ghProvenance = `{"signers":[
  {"kind":"signature","format":"sigstore-bundle","identity":"https://github.com/acme/weather/.github/workflows/release.yml@refs/tags/v1.1.0","issuer":"https://token.actions.githubusercontent.com","logged":true},
  {"kind":"attestation","format":"sigstore-bundle","identity":"https://github.com/acme/weather/.github/workflows/release.yml@refs/tags/v1.1.0","issuer":"https://token.actions.githubusercontent.com","logged":true,
   "predicate_type":"https://slsa.dev/provenance/v1","provenance":{"source_repo":"https://github.com/acme/weather","source_revision":"c0ffee42",
   "builder_id":"https://github.com/acme/weather/.github/workflows/release.yml@refs/tags/v1.1.0","invocation_id":"https://github.com/acme/weather/actions/runs/9/attempts/1"}},
  {"kind":"signature","format":"cosign"}]}`

// evilProvenance tries to turn claimed fields into script.
const evilProvenance = `{"signers":[{"kind":"attestation","format":"cosign","key_id":"<script>window.__pwned=true</script>",
  "predicate_type":"https://slsa.dev/provenance/v1","provenance":{"source_repo":"javascript:window.__pwned=true",
  "source_revision":"\"><img src=x onerror=window.__pwned=true>","builder_id":"javascript:window.__pwned=true"}}]}`

// fixture is a catalog with a bundle whose README is hostile, served by
// the UI.
func fixture(t testing.TB) *httptest.Server {
	t.Helper()
	st, err := sqlite.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	signed := version("acme/weather", "1.1.0", "Forecasts for any city", evilReadme, 2, true)
	signed.Provenance, signed.LevelVerified = []byte(ghProvenance), true
	signed.Builds = append(signed.Builds, catalog.Build{Platform: "darwin/arm64", LayerDigest: "sha256:" + strings.Repeat("d", 64), Size: 4096})
	// The clock was never scanned.
	clock := version("acme/clock", "0.1.0", "Tells the time", "A clock.", 0, true)
	clock.Provenance, clock.ScanReport = []byte(evilProvenance), nil
	clock.Builds[0].Platform = "any"
	for _, v := range []*catalog.Version{
		version("acme/weather", "1.0.0", "Forecasts", evilReadme, 1, false),
		signed,
		clock,
	} {
		if err := st.PutVersion(t.Context(), v); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AddDownloads(t.Context(), []catalog.Download{{Repository: "acme/weather", Version: "1.1.0", Platform: "linux/amd64", Count: 7}}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(web.Options{Store: searched(t, st)}))
	t.Cleanup(srv.Close)
	return srv
}

// searched is st with searches answered by the in-memory engine, as mpakd
// serves them (prefixes, typos and facet counts).
func searched(t testing.TB, st catalog.Store) catalog.Store {
	t.Helper()
	feed, ok := st.(catalog.ChangeFeed)
	if !ok {
		t.Fatalf("%T has no change feed for the search engine", st)
	}
	engine, err := search.New(t.Context(), feed, search.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return engine.Store(st)
}

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestPages(t *testing.T) {
	srv := fixture(t)
	code, h, body := get(t, srv.URL+"/")
	if code != 200 || !strings.Contains(body, `href="/@acme/weather"`) || !strings.Contains(body, "2 bundles") {
		t.Errorf("home: %d\n%s", code, body)
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("home CSP %q", h.Get("Content-Security-Policy"))
	}
	_, _, body = get(t, srv.URL+"/search?q=time&sort=name")
	if !strings.Contains(body, "<h1>1 result for") || !strings.Contains(body, "@acme/clock") || strings.Contains(body, `href="/@acme/weather"`) {
		t.Errorf("search for time:\n%s", body)
	}
	_, _, body = get(t, srv.URL+"/search?signed=on&sort=name")
	if !strings.Contains(body, "@acme/weather") || !strings.Contains(body, "2 results") {
		t.Errorf("signed filter:\n%s", body)
	}

	code, _, body = get(t, srv.URL+"/@acme/weather")
	// Without PublicHost, snippets name the host the page was asked for.
	host := srv.Listener.Addr().String()
	for _, want := range []string{"Weather Station", "1.1.0", "mpak bundle run " + host + "/acme/weather@1.1.0", "mcpServers",
		"<code>forecast</code>", "<code>api_key</code> <small>string</small> <strong>required</strong> <span class=\"sensitive\">sensitive</span>", "linux/amd64", "2.0 KiB", "· 7 downloads ·",
		`<a class="trust" href="#scan"><span class="level" title="from a scan signed by a scanner this registry trusts">L2</span></a>`,
		"mpak config set " + host + "/acme/weather KEY=VALUE", "<svg class=\"chart\"", "L1.secrets",
		"server/config.js:3: GitHub token", "Fix: rotate it", "<table>", "<strong>any</strong>", `href="/@acme/weather/v/1.0.0"`} {
		if !strings.Contains(body, want) {
			t.Errorf("bundle page lacks %q", want)
		}
	}
	for _, evil := range []string{"<script>window.__pwned", "javascript:", "onerror"} {
		if strings.Contains(body, evil) {
			t.Errorf("bundle page carries %q from the README", evil)
		}
	}
	if code != 200 {
		t.Errorf("bundle page: %d", code)
	}
	if _, _, body = get(t, srv.URL+"/@acme/weather/v/1.0.0"); !strings.Contains(body, `<strong class="version">1.0.0</strong>`) ||
		!strings.Contains(body, `<p class="unsigned">Not signed.`) {
		t.Errorf("version page does not show 1.0.0, unsigned")
	}
	code, _, body = get(t, srv.URL+"/@acme/wether")
	if code != 404 || !strings.Contains(body, "Did you mean") || !strings.Contains(body, "@acme/weather") {
		t.Errorf("404 for a typo: %d\n%s", code, body)
	}
	if code, h, _ = get(t, srv.URL+"/@acme/weather/badge.svg?type=downloads"); code != http.StatusFound || h.Get("Location") != "/v1/bundles/@acme/weather/badge.svg?type=downloads" {
		t.Errorf("badge: %d → %q", code, h.Get("Location"))
	}
	if code, h, _ = get(t, srv.URL+"/static/style.css"); code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %d %s", code, h.Get("Content-Type"))
	}
}

// TestProvenance: the bundle page shows who signed and where the version
// was built from, links only http(s) addresses, and says how to verify.
func TestProvenance(t *testing.T) {
	srv := fixture(t)
	host := srv.Listener.Addr().String()
	_, _, body := get(t, srv.URL+"/@acme/weather/v/1.1.0")
	workflow := "https://github.com/acme/weather/.github/workflows/release.yml@refs/tags/v1.1.0"
	for _, want := range []string{
		`<dt>Source</dt><dd><a href="https://github.com/acme/weather" rel="nofollow noopener">https://github.com/acme/weather</a></dd>`,
		`<dt>Revision</dt><dd><a href="https://github.com/acme/weather/commit/c0ffee42" rel="nofollow noopener"><code>c0ffee42</code></a></dd>`,
		`<dt>Built by</dt><dd><a href="` + workflow + `" rel="nofollow noopener">` + workflow + `</a> (<a href="https://github.com/acme/weather/actions/runs/9/attempts/1" rel="nofollow noopener">run</a>)`,
		`<dt>Attested by</dt><dd>` + workflow + `</dd>`,
		`<td>SLSA provenance</td><td><span class="id">` + workflow + `</span><br><small class="id">via https://token.actions.githubusercontent.com</small></td><td>sigstore-bundle<br><small>transparency log entry</small></td>`,
		`<td>Signature</td><td>an unidentified key<br><small>this signature does not record which key made it: check it with the publisher&#39;s public key, as below</small></td><td>cosign</td>`,
		"mpak bundle verify " + host + "/acme/weather@1.1.0 --identity " + workflow + " --issuer https://token.actions.githubusercontent.com",
		"mpak bundle verify " + host + "/acme/weather@1.1.0 --key publisher.pub",
		"not verified by it",
		`<a class="signed" href="#provenance">signed</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("signed version's page lacks %s", want)
		}
	}

	_, _, body = get(t, srv.URL+"/@acme/clock")
	i := strings.Index(body, `<h2 id="provenance">`)
	if i < 0 {
		t.Fatal("clock's page has no provenance section")
	}
	section := body[i:]
	for _, evil := range []string{`href="javascript:`, "<script>", "<img", `href="#ZgotmplZ"`} {
		if strings.Contains(section, evil) {
			t.Errorf("claimed provenance put %q into the page", evil)
		}
	}
	for _, want := range []string{"<code>javascript:window.__pwned=true</code>", "key <code>&lt;script&gt;"} {
		if !strings.Contains(section, want) {
			t.Errorf("hostile claims are not shown as inert text %q", want)
		}
	}
}

// TestSignedWithoutClaims: a version indexed as signed before claims were
// indexed (a catalog upgraded in place) does not read as unsigned.
func TestSignedWithoutClaims(t *testing.T) {
	st, err := sqlite.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.PutVersion(t.Context(), version("acme/old", "1.0.0", "Indexed long ago", "Old.", 0, true)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(web.Options{Store: st}))
	defer srv.Close()
	_, _, body := get(t, srv.URL+"/@acme/old")
	if strings.Contains(body, "Not signed") || !strings.Contains(body, "<code>mpakd reindex</code> reads it") {
		t.Errorf("a signed version without indexed claims:\n%s", body)
	}
}

// movedTo is the digest a tampered version's tag was found on.
var movedTo = "sha256:" + strings.Repeat("ab", 32)

// markedFixture is a catalog with yanked and tampered versions, as the
// indexer marks them: acme/maps 0.9.0 (tampered), 1.0.0 and 1.1.0
// (yanked), and acme/gone, whose only version is yanked.
func markedFixture(t *testing.T) *httptest.Server {
	t.Helper()
	st, err := sqlite.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tampered := version("acme/maps", "0.9.0", "Maps", "Maps.", 0, false)
	tampered.Tampered = movedTo
	yanked := version("acme/maps", "1.1.0", "Maps", "Maps.", 0, false)
	yanked.Yanked, yanked.YankReason = true, "leaks the <b>API key</b>; use 1.0.0"
	gone := version("acme/gone", "1.0.0", "Gone", "Gone.", 0, false)
	gone.Yanked, gone.YankReason = true, "abandoned"
	for _, v := range []*catalog.Version{tampered, version("acme/maps", "1.0.0", "Maps", "Maps.", 0, false), yanked, gone} {
		if err := st.PutVersion(t.Context(), v); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(web.New(web.Options{Store: st, PublicHost: "reg.example"}))
	t.Cleanup(srv.Close)
	return srv
}

// TestYankedAndTamperedPages: the bundle page shows the latest that is
// not yanked and marks the others in its versions list; a yanked
// version's page says why and points to the latest; a tampered version's
// page warns with both digests, and its snippets pin the published one.
func TestYankedAndTamperedPages(t *testing.T) {
	srv := markedFixture(t)
	contains := func(page, body string, wants ...string) {
		t.Helper()
		for _, want := range wants {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %s", page, want)
			}
		}
	}
	lacks := func(page, body string, unwanted ...string) {
		t.Helper()
		for _, u := range unwanted {
			if strings.Contains(body, u) {
				t.Errorf("%s has %s", page, u)
			}
		}
	}
	yankedLabel := ` <span class="label label-yanked">yanked</span>`
	tamperedLabel := ` <span class="label label-tampered">tampered</span>`

	_, _, body := get(t, srv.URL+"/@acme/maps")
	contains("bundle page", body,
		`<strong class="version">1.0.0</strong> · `,
		"mpak bundle run reg.example/acme/maps@1.0.0",
		`<a href="/@acme/maps/v/1.1.0">1.1.0</a>`+yankedLabel+`<br><span class="why">leaks the &lt;b&gt;API key&lt;/b&gt;; use 1.0.0</span>`,
		`<a href="/@acme/maps/v/0.9.0">0.9.0</a>`+tamperedLabel+`<br><span class="why">tag moved; served by digest only</span>`,
		`<a href="/@acme/maps/v/1.0.0">1.0.0</a></td>`)
	lacks("bundle page", body, `class="notice`, "<b>API key</b>")

	_, _, body = get(t, srv.URL+"/@acme/maps/v/1.1.0")
	contains("yanked version's page", body,
		`<strong class="version">1.1.0</strong>`+yankedLabel+` · `,
		`<h2 id="yanked">This version is yanked</h2>`,
		"The publisher withdrew it: “leaks the &lt;b&gt;API key&lt;/b&gt;; use 1.0.0”",
		`The latest version is <a href="/@acme/maps/v/1.0.0">1.0.0</a>.`)
	lacks("yanked version's page", body, `id="tampered"`)

	published := version("acme/maps", "0.9.0", "", "", 0, false).Digest
	_, _, body = get(t, srv.URL+"/@acme/maps/v/0.9.0")
	contains("tampered version's page", body,
		`<strong class="version">0.9.0</strong>`+tamperedLabel+` · `,
		`<h2 id="tampered">Warning: this version's tag was moved</h2>`,
		"tag <code>0.9.0</code> no longer holds this version",
		"serves this version by its published digest only",
		"<dt>Published digest</dt><dd><code>"+published+"</code></dd>",
		"<dt>Digest the tag names now</dt><dd><code>"+movedTo+"</code></dd>",
		"mpak bundle run reg.example/acme/maps@"+published,
		"mpak bundle pull reg.example/acme/maps@"+published,
		`&#34;reg.example/acme/maps@`+published+`&#34;`)
	lacks("tampered version's page", body, "maps@0.9.0", `id="yanked"`)

	_, _, body = get(t, srv.URL+"/@acme/gone")
	contains("all-yanked bundle page", body,
		`<strong class="version">1.0.0</strong>`+yankedLabel,
		"The publisher withdrew it: “abandoned”",
		"Every version of this bundle is yanked.")

	_, _, body = get(t, srv.URL+"/")
	contains("home page", body,
		`<a href="/@acme/gone">@acme/gone</a> <span class="version">1.0.0</span>`+yankedLabel+`</h3>`,
		`<a href="/@acme/maps">@acme/maps</a> <span class="version">1.0.0</span></h3>`)
}
