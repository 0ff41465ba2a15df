package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// middlewareFixture is the middleware in front of a handler that records
// what reached it, with alice (push on acme/**) and bob (read, and the only
// reader of secret/**) as users.
func middlewareFixture(t *testing.T) (http.Handler, *Tokens, *[]string) {
	t.Helper()
	dir := t.TempDir()
	var users strings.Builder
	for _, u := range []string{"alice", "bob"} {
		h, err := bcrypt.GenerateFromPassword([]byte(u+"-pw"), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		users.WriteString(u + ":" + string(h) + "\n")
	}
	policy := "repositories:\n  \"**\":\n    anonymous: [read]\n    authenticated: [read]\n  \"acme/**\":\n    policies:\n      - users: [alice]\n        actions: [read, push]\n    anonymous: [read]\n    authenticated: [read]\n  \"secret/**\":\n    policies:\n      - users: [bob]\n        actions: [read]\n"
	must(t, os.WriteFile(filepath.Join(dir, "htpasswd"), []byte(users.String()), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(policy), 0o600))
	files, err := LoadFiles(FilesOptions{HtpasswdPath: filepath.Join(dir, "htpasswd"), PolicyPath: filepath.Join(dir, "policy.yaml")})
	must(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tokens, err := NewTokens(TokenOptions{Key: key})
	must(t, err)
	var reached []string
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached = append(reached, r.Method+" "+r.URL.RequestURI())
		if r.URL.Path == "/v2/_catalog" {
			io.WriteString(w, `{"repositories":["acme/a","secret/s","zed/z"]}`)
		}
	})
	return Middleware(next, MiddlewareOptions{Files: files, Tokens: tokens, Service: "mpakd", Logger: slog.New(slog.DiscardHandler)}), tokens, &reached
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func serve(h http.Handler, method, target, authorization string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func basic(user, pass string) string {
	r := httptest.NewRequest("GET", "/", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}

func TestMiddlewareDecisions(t *testing.T) {
	h, tokens, reached := middlewareFixture(t)
	aliceToken, _, err := tokens.Issue("alice", []Access{{Type: "repository", Name: "acme/x", Actions: []string{"pull", "push"}}})
	must(t, err)
	for _, c := range []struct {
		name, method, target, authorization string
		status                              int
		challenge                           string // a scope the WWW-Authenticate header must name
	}{
		{"anonymous base is challenged", "GET", "/v2/", "", 401, `service="mpakd"`},
		{"anonymous read of a public repository", "GET", "/v2/acme/x/manifests/1.0.0", "", 200, ""},
		{"anonymous push", "PUT", "/v2/acme/x/manifests/1.0.0", "", 401, `scope="repository:acme/x:pull,push"`},
		{"anonymous upload", "POST", "/v2/acme/x/blobs/uploads/", "", 401, `scope="repository:acme/x:pull,push"`},
		{"anonymous read of a private repository", "GET", "/v2/secret/s/tags/list", "", 401, `scope="repository:secret/s:pull"`},
		{"basic user within the policy", "PUT", "/v2/acme/x/manifests/1.0.0", basic("alice", "alice-pw"), 200, ""},
		{"basic user outside it", "PUT", "/v2/acme/x/manifests/1.0.0", basic("bob", "bob-pw"), 403, ""},
		{"bad password", "GET", "/v2/acme/x/manifests/1.0.0", basic("bob", "nope"), 401, ""},
		{"token with the scope", "PATCH", "/v2/acme/x/blobs/uploads/abc", "Bearer " + aliceToken, 200, ""},
		{"token for another repository", "PUT", "/v2/acme/y/manifests/1.0.0", "Bearer " + aliceToken, 401, `scope="repository:acme/y:pull,push"`},
		{"token for a delete it lacks", "DELETE", "/v2/acme/x/manifests/sha256:00", "Bearer " + aliceToken, 401, `scope="repository:acme/x:delete"`},
		{"forged token", "GET", "/v2/acme/x/manifests/1.0.0", "Bearer " + aliceToken + "x", 401, ""},
		{"not the OCI API", "GET", "/v1/bundles/search", "", 200, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := serve(h, c.method, c.target, c.authorization)
			if w.Code != c.status {
				t.Fatalf("%s %s: %d %s, want %d", c.method, c.target, w.Code, w.Body, c.status)
			}
			if c.challenge != "" && !strings.Contains(w.Header().Get("WWW-Authenticate"), c.challenge) {
				t.Errorf("WWW-Authenticate %q does not name %s", w.Header().Get("WWW-Authenticate"), c.challenge)
			}
			if c.status == 401 && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), `Bearer realm="http://example.com/token"`) {
				t.Errorf("challenge %q does not point at the realm on the request's host", w.Header().Get("WWW-Authenticate"))
			}
		})
	}
	if got := strings.Join(*reached, "\n"); strings.Contains(got, "acme/y") || strings.Contains(got, "secret") || strings.Contains(got, "DELETE") {
		t.Errorf("refused requests reached the registry:\n%s", got)
	}
}

func TestMiddlewareCatalogAndMounts(t *testing.T) {
	h, _, reached := middlewareFixture(t)
	w := serve(h, "GET", "/v2/_catalog", basic("alice", "alice-pw"))
	if w.Code != 200 || strings.Contains(w.Body.String(), "secret/s") || !strings.Contains(w.Body.String(), "acme/a") {
		t.Errorf("alice's catalog: %d %s, want it without secret/s", w.Code, w.Body)
	}
	w = serve(h, "GET", "/v2/_catalog", basic("bob", "bob-pw"))
	if !strings.Contains(w.Body.String(), "secret/s") {
		t.Errorf("bob's catalog: %s, want secret/s in it", w.Body)
	}
	*reached = nil
	serve(h, "POST", "/v2/acme/x/blobs/uploads/?mount=sha256:00&from=secret/s", basic("alice", "alice-pw"))
	serve(h, "POST", "/v2/acme/x/blobs/uploads/?mount=sha256:00&from=zed/z", basic("alice", "alice-pw"))
	if got := strings.Join(*reached, "\n"); !strings.Contains(got, "from=zed") || strings.Count(got, "mount=") != 1 {
		t.Errorf("mounts that reached the registry:\n%s\nwant the one from a repository alice may read only", got)
	}
}
