package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
	mauth "github.com/mpak-oci/mpak/registry/auth"
	"github.com/mpak-oci/mpak/registry/auth/authtest"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/server"
)

// readRulePolicy makes secret/** alice's alone; everything else is read
// by anyone and pushed by users who logged in.
const readRulePolicy = `repositories:
  "**":
    anonymous: [read]
    authenticated: [read, push]
  "secret/**":
    policies:
      - users: [alice]
        actions: [read, push]
`

// readRuleMpakd serves mpakd with authentication on (alice:alice-pw and
// bob:bob-pw) and a catalog, and returns its base URL.
func readRuleMpakd(t *testing.T) string {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	files, _ := authtest.Files(t, authtest.Config{Users: authtest.Passwords("alice", "bob"), Policy: readRulePolicy})
	tokens := authtest.Tokens(t, mauth.TokenOptions{})
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	srv, err := server.New(context.Background(), server.Options{DataDir: t.TempDir(), Store: store, Logger: log,
		Auth: &server.AuthOptions{Files: files, Tokens: tokens}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		srv.Shutdown(context.Background())
	})
	return hs.URL
}

// pushAs publishes name 1.0.0 to repository as user, as mpak bundle push
// does after mpak login.
func pushAs(t *testing.T, host, user, repository, name string) {
	t.Helper()
	plan, err := bundle.Prepare([]bundle.File{{Path: mcpbtest.Pack(t, name, "1.0.0", ""), Platform: mediatypes.AnyPlatform}}, bundle.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := ref.Parse(host+"/"+repository, ref.Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	creds := credentials.NewMemoryStore()
	if err := creds.Put(context.Background(), host, auth.Credential{Username: user, Password: user + "-pw"}); err != nil {
		t.Fatal(err)
	}
	repo, err := connect.Options{Credentials: creds}.Repository(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Push(context.Background(), repo, plan, "1.0.0", bundle.PushOptions{}); err != nil {
		t.Fatalf("%s pushing %s: %v", user, repository, err)
	}
}

// fetch GETs base+path with an Authorization header (when set), without
// following redirects.
func fetch(t *testing.T, base, path, authorization string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

func basicAuth(user, password string) string {
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(user, password)
	return r.Header.Get("Authorization")
}

// bearer is a token from /token for user with scope, as docker login and
// oras fetch them.
func bearer(t *testing.T, base, user, scope string) string {
	t.Helper()
	code, _, body := fetch(t, base, "/token?scope="+url.QueryEscape(scope), basicAuth(user, user+"-pw"))
	var tok struct {
		Token string `json:"token"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &tok) != nil || tok.Token == "" {
		t.Fatalf("token for %s: %d %s", user, code, body)
	}
	return "Bearer " + tok.Token
}

// The catalogs follow the policy's read rule: secret/weather is alice's,
// by Basic credentials or her token, and to anyone else it does not exist.
func TestReadRuleEndToEnd(t *testing.T) {
	base := readRuleMpakd(t)
	host := strings.TrimPrefix(base, "http://")
	pushAs(t, host, "alice", "secret/weather", "weather")
	pushAs(t, host, "bob", "acme/weather", "weather")
	pushAs(t, host, "bob", "acme/clock", "clock")

	scope := "repository:secret/weather:pull"
	readers := map[string]string{
		"basic":  basicAuth("alice", "alice-pw"),
		"bearer": bearer(t, base, "alice", scope),
	}
	others := map[string]string{
		"anonymous":      "",
		"bob":            basicAuth("bob", "bob-pw"),
		"bob's token":    bearer(t, base, "bob", scope),
		"wrong password": basicAuth("alice", "bob-pw"),
	}

	searchNames := func(authorization string) []string {
		t.Helper()
		code, _, body := fetch(t, base, "/v1/bundles/search?q=weather", authorization)
		var res catalogapi.SearchResponse
		if code != http.StatusOK || json.Unmarshal([]byte(body), &res) != nil {
			t.Fatalf("search: %d %s", code, body)
		}
		var names []string
		for _, b := range res.Bundles {
			names = append(names, b.Name)
		}
		if res.Total != len(names) {
			t.Errorf("search total %d for %d bundles", res.Total, len(names))
		}
		return names
	}

	for who, authorization := range others {
		if got := searchNames(authorization); strings.Join(got, " ") != "@acme/weather" {
			t.Errorf("%s: search finds %v, want @acme/weather only", who, got)
		}
		if _, _, body := fetch(t, base, "/v0.1/servers", authorization); strings.Contains(body, "secret") || !strings.Contains(body, "acme/weather") {
			t.Errorf("%s: /v0.1/servers: %s", who, body)
		}
		if _, _, body := fetch(t, base, "/search?q=weather", authorization); strings.Contains(body, "@secret/weather") || !strings.Contains(body, `href="/@acme/weather"`) {
			t.Errorf("%s: search page:\n%s", who, body)
		}
		for _, path := range []string{"/@secret/weather", "/v1/bundles/@secret/weather", "/v1/bundles/@secret/weather/badge.svg",
			"/v1/bundles/@secret/weather/versions/1.0.0/download"} {
			if code, _, _ := fetch(t, base, path, authorization); code != http.StatusNotFound {
				t.Errorf("%s: %s answered %d, want 404", who, path, code)
			}
		}
		// Exactly as a bundle that was never pushed.
		_, h1, hidden := fetch(t, base, "/v1/bundles/@secret/weather/badge.svg", authorization)
		_, h2, missing := fetch(t, base, "/v1/bundles/@secret/nothing/badge.svg", authorization)
		if hidden != missing || h1.Get("Cache-Control") != h2.Get("Cache-Control") {
			t.Errorf("%s: the hidden badge differs from a missing one", who)
		}
	}

	for how, authorization := range readers {
		if got := searchNames(authorization); strings.Join(got, " ") != "@acme/weather @secret/weather" && strings.Join(got, " ") != "@secret/weather @acme/weather" {
			t.Errorf("alice (%s): search finds %v", how, got)
		}
		if _, _, body := fetch(t, base, "/v0.1/servers", authorization); !strings.Contains(body, "secret/weather") {
			t.Errorf("alice (%s): /v0.1/servers lacks secret/weather: %s", how, body)
		}
		if _, _, body := fetch(t, base, "/search?q=weather", authorization); !strings.Contains(body, `href="/@secret/weather"`) {
			t.Errorf("alice (%s): search page lacks @secret/weather", how)
		}
		for _, path := range []string{"/@secret/weather", "/v1/bundles/@secret/weather", "/v1/bundles/@secret/weather/badge.svg"} {
			code, h, body := fetch(t, base, path, authorization)
			if code != http.StatusOK || !strings.HasPrefix(h.Get("Cache-Control"), "private") {
				t.Errorf("alice (%s): %s answered %d, Cache-Control %q", how, path, code, h.Get("Cache-Control"))
			}
			if path == "/@secret/weather" && !strings.Contains(body, "Signed in as <strong>alice</strong>") {
				t.Errorf("alice (%s): the bundle page does not say she is signed in", how)
			}
		}
	}

	// Signing in on the web: a Basic challenge until the credentials are
	// good, then back where the user was, and never to another site.
	code, h, body := fetch(t, base, "/", "")
	if code != http.StatusOK || !strings.Contains(body, `href="/login?next=%2F">Sign in</a>`) || h.Get("Vary") != "Authorization" {
		t.Errorf("home: %d, Vary %q, no sign-in link:\n%s", code, h.Get("Vary"), body)
	}
	for _, authorization := range []string{"", basicAuth("alice", "bob-pw"), basicAuth("carol", "carol-pw")} {
		code, h, _ := fetch(t, base, "/login?next=%2F%40secret%2Fweather", authorization)
		if code != http.StatusUnauthorized || h.Get("WWW-Authenticate") != `Basic realm="mpakd"` {
			t.Errorf("/login with %q: %d, WWW-Authenticate %q", authorization, code, h.Get("WWW-Authenticate"))
		}
	}
	for next, want := range map[string]string{"%2F%40secret%2Fweather": "/@secret/weather", "%2F%2Fevil.example": "/", "https%3A%2F%2Fevil.example": "/"} {
		code, h, _ := fetch(t, base, "/login?next="+next, readers["basic"])
		if code != http.StatusSeeOther || h.Get("Location") != want {
			t.Errorf("/login?next=%s as alice: %d to %q, want 303 to %q", next, code, h.Get("Location"), want)
		}
	}
}
