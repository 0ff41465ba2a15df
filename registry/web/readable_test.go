package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/web"
)

// secretPrefix is the private part of the read-rule catalog: alice reads
// it, nobody else does. It sorts before every public repository, so a
// page of public results is only filled by reading past it.
const secretPrefix = "a-secret/"

// readRuleUI serves a catalog of public bundles (acme/weather, acme/clock,
// tools/gen-00…24), plus, when withSecret, a-secret/weather (the most
// downloaded) and a-secret/gen-000…119, behind the read rule and sign-in.
// Alice's Basic credentials are alice:pw. calls counts Readable calls.
func readRuleUI(t *testing.T, withSecret bool) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	st, err := sqlite.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	vs := []*catalog.Version{
		version("acme/weather", "1.1.0", "Forecasts for any city", "Weather.", 2, true),
		version("acme/clock", "0.1.0", "Tells the time", "A clock.", 0, false),
	}
	for i := range 25 {
		vs = append(vs, version(fmt.Sprintf("tools/gen-%02d", i), "1.0.0", "Generated", "Generated.", 0, false))
	}
	downloads := []catalog.Download{{Repository: "acme/weather", Version: "1.1.0", Platform: "linux/amd64", Count: 7}}
	if withSecret {
		secret := version(secretPrefix+"weather", "2.0.0", "Secret weather for the board", "Board only.", 3, true)
		// A platform only a private bundle is built for: the search
		// filters must not offer it to those who cannot see the bundle.
		secret.Builds = append(secret.Builds, catalog.Build{Platform: "plan9/mips", LayerDigest: "sha256:" + strings.Repeat("9", 64)})
		vs = append(vs, secret)
		for i := range 120 {
			vs = append(vs, version(fmt.Sprintf("%sgen-%03d", secretPrefix, i), "1.0.0", "Generated", "Generated.", 0, false))
		}
		downloads = append(downloads, catalog.Download{Repository: secretPrefix + "weather", Version: "2.0.0", Platform: "linux/amd64", Count: 1000})
	}
	for _, v := range vs {
		if err := st.PutVersion(t.Context(), v); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AddDownloads(t.Context(), downloads); err != nil {
		t.Fatal(err)
	}
	calls := new(atomic.Int64)
	alice := func(r *http.Request) bool {
		user, pass, ok := r.BasicAuth()
		return ok && user == "alice" && pass == "pw"
	}
	srv := httptest.NewServer(web.New(web.Options{Store: st, SignIn: true, PublicHost: "reg.example",
		Readable: func(r *http.Request) func(string) bool {
			calls.Add(1)
			if alice(r) {
				return func(string) bool { return true }
			}
			return func(repository string) bool { return !strings.HasPrefix(repository, secretPrefix) }
		},
		Authenticated: func(r *http.Request) (string, bool) {
			if alice(r) {
				return "alice", true
			}
			return "", false
		},
	}))
	t.Cleanup(srv.Close)
	return srv, calls
}

// getAs requests url with headers "Key: value", without following
// redirects.
func getAs(t *testing.T, url string, headers ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func basic(user, pass string) string {
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(user, pass)
	return "Authorization: " + r.Header.Get("Authorization")
}

// To anyone but alice, every page of the catalog with private bundles is
// exactly the page of the catalog without them.
func TestReadRulePages(t *testing.T) {
	srv, calls := readRuleUI(t, true)
	public, _ := readRuleUI(t, false)
	paths := []string{
		"/",
		"/search",
		"/search?q=weather",
		"/search?q=secret",
		"/search?q=board",
		"/search?sort=name",
		"/search?sort=name&page=2",
		"/search?sort=downloads",
		"/search?sort=recent&page=2",
		"/@a-secret/weather",
		"/a-secret/weather",
		"/@a-secret/weather/v/2.0.0",
		"/@a-secret/gen-001",
		"/@a-secret/wether",
	}
	for _, path := range paths {
		for _, who := range [][]string{nil, {basic("bob", "pw")}, {basic("alice", "wrong")}} {
			code, h, body := getAs(t, srv.URL+path, who...)
			wantCode, wantH, want := getAs(t, public.URL+path, who...)
			if code != wantCode || body != want {
				t.Errorf("%s as %v: %d differs from the catalog without private bundles (%d):\n%s", path, who, code, wantCode, body)
			}
			// The 404 page repeats the name asked for, and nothing else.
			if strings.Contains(body, `href="/@a-secret`) || strings.Contains(body, "Secret weather") || strings.Contains(body, "Board only") {
				t.Errorf("%s as %v shows a private bundle", path, who)
			}
			if h.Get("Cache-Control") != "private" || h.Get("Vary") != "Authorization" || wantH.Get("Cache-Control") != "private" {
				t.Errorf("%s: Cache-Control %q, Vary %q; want private, Authorization", path, h.Get("Cache-Control"), h.Get("Vary"))
			}
		}
	}

	// Search pages are full until the last, and counted among visible
	// bundles: 27 public ones, in pages of 20.
	_, _, body := getAs(t, srv.URL+"/search?q=board")
	if !strings.Contains(body, "<h1>0 results") {
		t.Errorf("a search only private bundles match:\n%s", body)
	}
	_, _, body = getAs(t, srv.URL+"/search?sort=name")
	if !strings.Contains(body, "<h1>27 results") || strings.Count(body, `<li class="hit">`) != 20 || !strings.Contains(body, `rel="next" href="/search?page=2&amp;sort=name"`) {
		t.Errorf("first page of 27:\n%s", body)
	}
	_, _, body = getAs(t, srv.URL+"/search?sort=name&page=2")
	if strings.Count(body, `<li class="hit">`) != 7 || strings.Contains(body, `rel="next"`) {
		t.Errorf("second page of 27:\n%s", body)
	}
	_, _, body = getAs(t, srv.URL+"/")
	if !strings.Contains(body, "27 bundles") {
		t.Errorf("home does not count 27 bundles:\n%s", body)
	}

	// Alice sees them.
	asAlice := basic("alice", "pw")
	for path, want := range map[string]string{
		"/":                          "148 bundles",
		"/search?q=weather":          "<h1>148 results", // every display name is Weather Station
		"/search?q=board":            `<h1>1 result for`,
		"/search":                    `<option value="plan9" >plan9</option>`,
		"/search?sort=downloads":     `<a href="/@a-secret/weather">`,
		"/@a-secret/weather":         "Board only.",
		"/a-secret/weather":          "Board only.",
		"/@a-secret/weather/v/2.0.0": "1,000 downloads",
	} {
		code, h, body := getAs(t, srv.URL+path, asAlice)
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("%s as alice: %d, lacks %q", path, code, want)
		}
		if !strings.Contains(body, "Signed in as <strong>alice</strong>") || strings.Contains(body, ">Sign in</a>") {
			t.Errorf("%s as alice does not say she is signed in", path)
		}
		if h.Get("Cache-Control") != "private" {
			t.Errorf("%s as alice: Cache-Control %q", path, h.Get("Cache-Control"))
		}
	}
	// Not from another site's page, though: it would learn what she sees.
	code, _, _ := getAs(t, srv.URL+"/@a-secret/weather", asAlice, "Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: no-cors", "Sec-Fetch-Dest: iframe")
	if code != http.StatusNotFound {
		t.Errorf("alice's private page loaded by another site: %d", code)
	}

	before := calls.Load()
	getAs(t, srv.URL+"/@a-secret/nothing", asAlice)
	getAs(t, srv.URL+"/search?sort=name&page=3", asAlice)
	if n := calls.Load() - before; n != 2 {
		t.Errorf("2 pages called Readable %d times", n)
	}
}

func TestSignIn(t *testing.T) {
	srv, _ := readRuleUI(t, true)
	_, _, body := getAs(t, srv.URL+"/search?q=a+b")
	if !strings.Contains(body, `<a class="session" href="/login?next=%2Fsearch%3Fq%3Da%2Bb">Sign in</a>`) || strings.Contains(body, "Signed in") {
		t.Errorf("anonymous page has no sign-in link back to itself:\n%s", body)
	}

	for _, who := range [][]string{nil, {basic("alice", "wrong")}, {basic("bob", "pw")}, {"Authorization: Bearer nonsense"}} {
		code, h, body := getAs(t, srv.URL+"/login?next=%2F%40a-secret%2Fweather", who...)
		if code != http.StatusUnauthorized || h.Get("WWW-Authenticate") != `Basic realm="mpakd"` || h.Get("Cache-Control") != "no-store" ||
			!strings.Contains(body, "<h1>Sign in</h1>") {
			t.Errorf("/login as %v: %d, WWW-Authenticate %q, Cache-Control %q", who, code, h.Get("WWW-Authenticate"), h.Get("Cache-Control"))
		}
		// Signing in again from there comes back to the same place.
		if !strings.Contains(body, `href="/login?next=%2F%40a-secret%2Fweather"`) {
			t.Errorf("/login's sign-in link loses next:\n%s", body)
		}
	}

	asAlice := basic("alice", "pw")
	for next, want := range map[string]string{
		"":                              "/",
		"/@a-secret/weather":            "/@a-secret/weather",
		"/search?q=weather&sort=name":   "/search?q=weather&sort=name",
		"//evil.example":                "/",
		"//evil.example/@acme/weather":  "/",
		"https://evil.example/":         "/",
		"/\\evil.example":               "/",
		"\\\\evil.example":              "/",
		"/\t/evil.example":              "/",
		"/\n/evil.example":              "/",
		"javascript:alert(1)":           "/",
		"evil.example":                  "/",
		"/@acme/weather#readme":         "/@acme/weather#readme",
		"http:/evil.example":            "/",
		"/%2F/evil.example":             "/%2F/evil.example", // a path on this site
		"///evil.example":               "/",
		" /evil":                        "/",
		"/login?next=//evil.example":    "/login?next=//evil.example", // which then goes to /
		"https://user@evil.example/x/y": "/",
	} {
		code, h, _ := getAs(t, srv.URL+"/login?next="+url.QueryEscape(next), asAlice)
		if code != http.StatusSeeOther || h.Get("Location") != want {
			t.Errorf("/login?next=%q as alice: %d to %q, want 303 to %q", next, code, h.Get("Location"), want)
		}
	}

	// Without sign-in there is neither a link nor /login.
	st, err := sqlite.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	open := httptest.NewServer(web.New(web.Options{Store: st}))
	t.Cleanup(open.Close)
	_, h, body := getAs(t, open.URL+"/")
	if strings.Contains(body, "Sign in") || h.Get("Vary") != "" || h.Get("Cache-Control") != "" {
		t.Errorf("open UI: sign-in link or private caching:\n%v\n%s", h, body)
	}
	if code, _, _ := getAs(t, open.URL+"/login"); code != http.StatusNotFound {
		t.Errorf("open UI /login: %d", code)
	}
}
