package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	orasauth "oras.land/oras-go/v2/registry/remote/auth"
)

const testPassword = "s3cret-pa55"

// testAuthenticate knows alice; no credentials are anonymous.
func testAuthenticate(_ *http.Request, username, password string) (Principal, error) {
	switch {
	case username == "" && password == "":
		return Principal{}, nil
	case username == "alice" && password == testPassword:
		return Principal{Name: "alice"}, nil
	}
	return Principal{}, errors.New("bad password")
}

// testGrant: anonymous may pull; alice may do anything.
func testGrant(who Principal, req []Access) []Access {
	if !who.Anonymous() {
		return req
	}
	var out []Access
	for _, a := range req {
		if a.Type == "repository" && slices.Contains(ActionsOf(a.Actions), ActionRead) {
			out = append(out, Access{Type: a.Type, Name: a.Name, Actions: []string{"pull"}})
		}
	}
	return out
}

type tokenFixture struct {
	tokens *Tokens
	h      http.Handler
	logs   *bytes.Buffer
}

func newTokenFixture(t *testing.T, grant func(Principal, []Access) []Access) *tokenFixture {
	t.Helper()
	f := &tokenFixture{tokens: newTestTokens(t, TokenOptions{Now: (&clock{t0}).now}), logs: new(bytes.Buffer)}
	if grant == nil {
		grant = testGrant
	}
	f.h = TokenHandler(TokenHandlerOptions{
		Tokens: f.tokens, Authenticate: testAuthenticate, Grant: grant,
		Logger: slog.New(slog.NewTextHandler(&syncWriter{w: f.logs}, nil)),
	})
	return f
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// do serves r and decodes the JSON answer.
func (f *tokenFixture) do(t *testing.T, r *http.Request) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("%s %s: %d, body %q: %v", r.Method, r.URL, w.Code, w.Body, err)
	}
	return w, body
}

// granted verifies the answer's token and returns its access.
func (f *tokenFixture) granted(t *testing.T, w *httptest.ResponseRecorder, body map[string]any) *Claims {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %v", w.Code, body)
	}
	tok, _ := body["access_token"].(string)
	if tok == "" || body["token"] != tok || body["expires_in"] != 300.0 || body["issued_at"] != "2026-05-01T12:00:00Z" {
		t.Errorf("answer = %v", body)
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q", w.Header().Get("Cache-Control"))
	}
	c, err := f.tokens.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func repoAccess(name string, acts ...string) Access {
	return Access{Type: "repository", Name: name, Actions: acts}
}

func TestTokenHandlerGet(t *testing.T) {
	f := newTokenFixture(t, nil)
	q := "/token?service=mpakd&scope=repository:acme/weather:pull,push&scope=" +
		url.QueryEscape("repository:acme/other:pull repository:acme/weather:delete") + "&account=alice"

	// Anonymous: what Grant returns, pull only.
	w, body := f.do(t, httptest.NewRequest("GET", q, nil))
	c := f.granted(t, w, body)
	if want := []Access{repoAccess("acme/weather", "pull"), repoAccess("acme/other", "pull")}; c.Subject != "" || !reflect.DeepEqual(c.Access, want) {
		t.Errorf("anonymous: %+v", c)
	}

	// alice: everything asked, repeated scopes merged per repository.
	r := httptest.NewRequest("GET", q, nil)
	r.SetBasicAuth("alice", testPassword)
	w, body = f.do(t, r)
	c = f.granted(t, w, body)
	if want := []Access{repoAccess("acme/weather", "pull", "push", "delete"), repoAccess("acme/other", "pull")}; c.Subject != "alice" || !reflect.DeepEqual(c.Access, want) {
		t.Errorf("alice: %+v", c)
	}

	// docker login: no scope, a token with no access.
	r = httptest.NewRequest("GET", "/token?service=mpakd&account=alice&client_id=docker", nil)
	r.SetBasicAuth("alice", testPassword)
	w, body = f.do(t, r)
	if c = f.granted(t, w, body); c.Subject != "alice" || len(c.Access) != 0 {
		t.Errorf("login: %+v", c)
	}

	// Wrong password: 401 with a Basic challenge and the registry error shape.
	r = httptest.NewRequest("GET", q, nil)
	r.SetBasicAuth("alice", "wrong")
	w, body = f.do(t, r)
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") != `Basic realm="mpakd"` || errCode(body) != "UNAUTHORIZED" {
		t.Errorf("bad password: %d %v %v", w.Code, w.Header(), body)
	}
	// A Bearer header is not a credential here.
	r = httptest.NewRequest("GET", q, nil)
	r.Header.Set("Authorization", "Bearer abc")
	if w, _ = f.do(t, r); w.Code != 401 {
		t.Errorf("bearer: %d", w.Code)
	}

	// Another service, a malformed scope, a wrong method: 400/405 naming the problem.
	for _, tc := range []struct {
		method, target string
		code           int
		msg            string
	}{
		{"GET", "/token?service=registry.docker.io&scope=repository:a:pull", 400, `this is service "mpakd"`},
		{"GET", "/token?scope=repository:Acme:pull", 400, `invalid repository name "Acme"`},
		{"GET", "/token?scope=repository:a", 400, "want type:name:actions"},
		{"PUT", "/token", 405, "GET or POST"},
	} {
		w, body := f.do(t, httptest.NewRequest(tc.method, tc.target, nil))
		if w.Code != tc.code || !strings.Contains(errMessage(body), tc.msg) || body["error_description"] != errMessage(body) {
			t.Errorf("%s %s: %d %v", tc.method, tc.target, w.Code, body)
		}
	}

	// The audit log names who got what, and never a password or a token.
	logs := f.logs.String()
	if !strings.Contains(logs, "subject=alice") || !strings.Contains(logs, "repository:acme/weather:pull,push,delete") ||
		!strings.Contains(logs, "token refused") {
		t.Errorf("logs:\n%s", logs)
	}
	if strings.Contains(logs, testPassword) || strings.Contains(logs, "wrong") || strings.Contains(logs, "eyJ") {
		t.Errorf("secrets in logs:\n%s", logs)
	}
}

func TestTokenHandlerPost(t *testing.T) {
	f := newTokenFixture(t, nil)
	post := func(form url.Values) (*httptest.ResponseRecorder, map[string]any) {
		r := httptest.NewRequest("POST", "/token", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return f.do(t, r)
	}
	form := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {testPassword},
		"service": {"mpakd"}, "client_id": {"oras-go"}, "scope": {"repository:acme/weather:pull,push registry:catalog:*"}}
	w, body := post(form)
	c := f.granted(t, w, body)
	want := []Access{repoAccess("acme/weather", "pull", "push"), {Type: "registry", Name: "catalog", Actions: []string{"*"}}}
	if c.Subject != "alice" || !reflect.DeepEqual(c.Access, want) || body["scope"] != "repository:acme/weather:pull,push registry:catalog:*" {
		t.Errorf("password grant: %+v %v", c, body)
	}

	form.Set("password", "wrong")
	if w, body = post(form); w.Code != 401 || errCode(body) != "UNAUTHORIZED" {
		t.Errorf("bad password: %d %v", w.Code, body)
	}
	for _, tc := range []struct {
		form url.Values
		err  string
	}{
		{url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "service": {"mpakd"}}, "unsupported_grant_type"},
		{url.Values{"grant_type": {"client_credentials"}}, "unsupported_grant_type"},
		{url.Values{}, "unsupported_grant_type"},
		{url.Values{"grant_type": {"password"}, "username": {"alice"}}, "invalid_request"},
		{url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {testPassword}, "service": {"other"}}, "invalid_request"},
	} {
		w, body := post(tc.form)
		if w.Code != 400 || body["error"] != tc.err || body["error_description"] == "" {
			t.Errorf("%v: %d %v", tc.form, w.Code, body)
		}
	}
	r := httptest.NewRequest("POST", "/token", strings.NewReader(`{"grant_type":"password"}`))
	r.Header.Set("Content-Type", "application/json")
	if w, body := f.do(t, r); w.Code != 400 || body["error"] != "invalid_request" {
		t.Errorf("JSON body: %d %v", w.Code, body)
	}
	if strings.Contains(f.logs.String(), testPassword) {
		t.Errorf("password in logs:\n%s", f.logs)
	}
}

// A Grant that returns more than asked must not widen the token.
func TestTokenHandlerNeverWidens(t *testing.T) {
	f := newTokenFixture(t, func(Principal, []Access) []Access {
		return []Access{repoAccess("acme/weather", "pull", "push", "delete", "*"), repoAccess("acme/secret", "pull")}
	})
	w, body := f.do(t, httptest.NewRequest("GET", "/token?scope=repository:acme/weather:pull", nil))
	if c := f.granted(t, w, body); !reflect.DeepEqual(c.Access, []Access{repoAccess("acme/weather", "pull")}) {
		t.Errorf("granted %+v", c.Access)
	}
	// A requested "*" covers every action.
	w, body = f.do(t, httptest.NewRequest("GET", "/token?scope=repository:acme/weather:*", nil))
	if c := f.granted(t, w, body); !reflect.DeepEqual(c.Access, []Access{repoAccess("acme/weather", "pull", "push", "delete", "*")}) {
		t.Errorf("granted %+v", c.Access)
	}
}

func errCode(body map[string]any) string {
	errs, _ := body["errors"].([]any)
	if len(errs) != 1 {
		return ""
	}
	code, _ := errs[0].(map[string]any)["code"].(string)
	return code
}

func errMessage(body map[string]any) string {
	errs, _ := body["errors"].([]any)
	if len(errs) != 1 {
		return ""
	}
	msg, _ := errs[0].(map[string]any)["message"].(string)
	return msg
}

// TestOrasClient runs oras-go's auth.Client against a registry stub whose
// Bearer realm is TokenHandler. Realm and registry share one httptest
// server: oras-go refuses loopback realms on another host than the registry.
func TestOrasClient(t *testing.T) {
	tokens := newTestTokens(t, TokenOptions{}) // the real clock: the client's token must verify now
	var mu sync.Mutex
	var tokenMethods []string
	th := TokenHandler(TokenHandlerOptions{Tokens: tokens, Authenticate: testAuthenticate, Grant: testGrant,
		Logger: slog.New(slog.DiscardHandler)})
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tokenMethods = append(tokenMethods, r.Method)
		mu.Unlock()
		th.ServeHTTP(w, r)
	})
	mux.HandleFunc("/v2/acme/weather/manifests/1.0.0", func(w http.ResponseWriter, r *http.Request) {
		need := "pull"
		if r.Method == http.MethodPut {
			need = "push"
		}
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			if c, err := tokens.Verify(tok); err == nil && slices.ContainsFunc(c.Access, func(a Access) bool {
				return a.Type == "repository" && a.Name == "acme/weather" && slices.Contains(a.Actions, need)
			}) {
				w.Header().Set("X-Subject", c.Subject)
				w.WriteHeader(http.StatusOK)
				return
			}
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+srv.URL+`/token",service="mpakd",scope="repository:acme/weather:pull,push"`)
		w.WriteHeader(http.StatusUnauthorized)
	})
	host := strings.TrimPrefix(srv.URL, "http://")
	manifest := srv.URL + "/v2/acme/weather/manifests/1.0.0"

	for _, tc := range []struct {
		name     string
		cred     orasauth.Credential
		oauth2   bool
		method   string
		status   int
		subject  string
		viaToken string
	}{
		{"anonymous pull", orasauth.EmptyCredential, false, "GET", 200, "", "GET"},
		{"anonymous push refused", orasauth.EmptyCredential, false, "PUT", 401, "", "GET"},
		{"basic GET token", orasauth.Credential{Username: "alice", Password: testPassword}, false, "PUT", 200, "alice", "GET"},
		{"OAuth2 POST token", orasauth.Credential{Username: "alice", Password: testPassword}, true, "PUT", 200, "alice", "POST"},
		{"wrong password", orasauth.Credential{Username: "alice", Password: "nope"}, false, "GET", 0, "", "GET"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			tokenMethods = nil
			mu.Unlock()
			c := &orasauth.Client{Client: srv.Client(), Credential: orasauth.StaticCredential(host, tc.cred),
				ForceAttemptOAuth2: tc.oauth2, Cache: orasauth.NewCache()}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, tc.method, manifest, nil)
			resp, err := c.Do(req)
			if tc.status == 0 { // the token request fails: oras-go reports the 401
				if err == nil || !strings.Contains(err.Error(), "401") {
					t.Fatalf("want an error, got %v, %v", resp, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status || resp.Header.Get("X-Subject") != tc.subject {
				t.Errorf("status %d subject %q", resp.StatusCode, resp.Header.Get("X-Subject"))
			}
			mu.Lock()
			defer mu.Unlock()
			if len(tokenMethods) != 1 || tokenMethods[0] != tc.viaToken {
				t.Errorf("token requests %v, want one %s", tokenMethods, tc.viaToken)
			}
		})
	}
}
