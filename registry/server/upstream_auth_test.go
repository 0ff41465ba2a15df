package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	orasremote "oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"

	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/bundle/bundletest"
	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
	mauth "github.com/mpak-oci/mpak/registry/auth"
	"github.com/mpak-oci/mpak/registry/auth/authtest"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/server"
)

// authFor turns mpakd's authentication on with these users (name to
// password) and this policy.
func authFor(t *testing.T, users map[string]string, policy string) *server.AuthOptions {
	t.Helper()
	files, _ := authtest.Files(t, authtest.Config{Users: users, Policy: policy})
	return &server.AuthOptions{Files: files, Tokens: authtest.Tokens(t, mauth.TokenOptions{})}
}

// basicUsers records the users of the Basic credentials a handler saw.
type basicUsers struct {
	mu    sync.Mutex
	users map[string]bool
}

func (b *basicUsers) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, _, ok := r.BasicAuth(); ok {
			b.mu.Lock()
			b.users[u] = true
			b.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

// tokenRegistry is mpakd with authentication on, as the upstream: a
// Bearer token registry where only alice (the front's upstream account)
// may read or push, anonymous clients nothing.
func tokenRegistry(t *testing.T) (string, *basicUsers) {
	t.Helper()
	policy := "repositories:\n  \"**\":\n    anonymous: []\n    policies:\n      - users: [" + user + "]\n        actions: [read, push]\n"
	s, err := server.New(context.Background(), server.Options{DataDir: t.TempDir(), Auth: authFor(t, map[string]string{user: password}, policy),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	seen := &basicUsers{users: map[string]bool{}}
	hs := httptest.NewServer(seen.wrap(s.Handler()))
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return strings.TrimPrefix(hs.URL, "http://"), seen
}

// frontPolicy: anyone reads, bob pushes under acme/, carol (logged in)
// only reads.
const frontPolicy = `repositories:
  "**":
    anonymous: [read]
  "acme/**":
    anonymous: [read]
    policies:
      - users: [bob]
        actions: [read, push]
`

var frontUsers = map[string]string{"bob": "bob-pw", "carol": "carol-pw"}

// repoAs is name at host as a client logged in with cred (none: anonymous).
func repoAs(t *testing.T, host, name string, cred *auth.Credential) *orasremote.Repository {
	t.Helper()
	r, err := ref.Parse(host+"/"+name, ref.Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	store := credentials.NewMemoryStore()
	if cred != nil {
		if err := store.Put(context.Background(), host, *cred); err != nil {
			t.Fatal(err)
		}
	}
	repo, err := connect.Options{Credentials: store}.Repository(r)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

func weatherPlan(t *testing.T, version string) (*bundle.Plan, mediatypes.Platform) {
	t.Helper()
	linux := mediatypes.Platform{OS: "linux", Arch: "amd64"}
	plan, err := bundle.Prepare([]bundle.File{{Path: mcpbtest.Pack(t, "weather", version, "linux"), Platform: linux}}, bundle.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return plan, linux
}

// TestUpstreamWithFrontAuth: mpakd with its own users and policy in front
// of a registry that issues Bearer tokens (mpakd again, private, where
// only alice may read and push). The front reaches the upstream as alice,
// whatever its clients are: its user bob pushes a bundle and an anonymous
// client pulls it, though neither has an account upstream; the front's
// catalog indexes the push; carol, whom the front's policy lets only
// read, cannot push, though alice could. No credentials but alice's reach
// the upstream.
func TestUpstreamWithFrontAuth(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	ctx := context.Background()
	upHost, seen := tokenRegistry(t)
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	front := listen(t)
	front.serve(t, upHost, store, func(o *server.Options) { o.Auth = authFor(t, frontUsers, frontPolicy) })

	plan, linux := weatherPlan(t, "1.0.0")
	bob := &auth.Credential{Username: "bob", Password: frontUsers["bob"]}
	if _, err := bundle.Push(ctx, repoAs(t, front.addr, "acme/weather", bob), plan, "1.0.0", bundle.PushOptions{}); err != nil {
		t.Fatalf("bob's push through the front: %v", err)
	}
	if _, err := bundle.Pull(ctx, repoAs(t, front.addr, "acme/weather", nil), bundletest.Resolve(t, repoAs(t, front.addr, "acme/weather", nil), "1.0.0"), bundle.PullOptions{Platform: linux, Output: t.TempDir()}); err != nil {
		t.Fatalf("anonymous pull through the front: %v", err)
	}
	// The upstream itself refuses the same anonymous pull: the front
	// pulled as alice.
	if _, err := repoAs(t, upHost, "acme/weather", nil).Resolve(ctx, "1.0.0"); err == nil {
		t.Fatal("the upstream let an anonymous client resolve acme/weather:1.0.0; it should be private")
	}
	eventually(t, "the front's catalog to index bob's push", func() (bool, string) {
		v, err := front.catalog.Version(ctx, "acme/weather", "1.0.0")
		if err != nil {
			return false, err.Error()
		}
		return len(v.Builds) == 1, fmt.Sprintf("%d builds", len(v.Builds))
	})

	plan2, _ := weatherPlan(t, "2.0.0")
	carol := &auth.Credential{Username: "carol", Password: frontUsers["carol"]}
	_, err = bundle.Push(ctx, repoAs(t, front.addr, "acme/weather", carol), plan2, "2.0.0", bundle.PushOptions{})
	if err == nil || !strings.Contains(err.Error(), "carol may not push acme/weather") {
		t.Fatalf("carol's push through the front: %v; want the front's refusal", err)
	}
	alice := &auth.Credential{Username: user, Password: password}
	if _, err := repoAs(t, upHost, "acme/weather", alice).Resolve(ctx, "2.0.0"); err == nil {
		t.Fatal("carol's refused push reached the upstream")
	}

	seen.mu.Lock()
	defer seen.mu.Unlock()
	for u := range seen.users {
		if u != user {
			t.Errorf("the upstream saw Basic credentials of %q; only the front's account %q should reach it", u, user)
		}
	}
	if !seen.users[user] {
		t.Errorf("the upstream never saw the front's account %q", user)
	}
}

// TestUpstreamWithFrontAuthWrongPassword: when the upstream refuses the
// front's credentials, the front's clients get a 502 that names the
// repository and the flags to fix, and no challenge from the upstream.
func TestUpstreamWithFrontAuthWrongPassword(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	upHost, _ := tokenRegistry(t)
	front := listen(t)
	wrong := credentials.NewMemoryStore()
	if err := wrong.Put(context.Background(), upHost, auth.Credential{Username: user, Password: "not " + password}); err != nil {
		t.Fatal(err)
	}
	front.serve(t, upHost, nil, func(o *server.Options) {
		o.Auth = authFor(t, frontUsers, frontPolicy)
		o.UpstreamRemote = connect.Options{Credentials: wrong}
	})
	resp, err := http.Get((&url.URL{Scheme: "http", Host: front.addr, Path: "/v2/acme/weather/tags/list"}).String())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadGateway || resp.Header.Get("WWW-Authenticate") != "" {
		t.Fatalf("anonymous read through the front: %s, WWW-Authenticate %q; want 502 without a challenge", resp.Status, resp.Header.Get("WWW-Authenticate"))
	}
	for _, want := range []string{"pull acme/weather", "--upstream-username", "MPAKD_UPSTREAM_PASSWORD"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body %s does not mention %q", body, want)
		}
	}
}
