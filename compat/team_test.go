package compat

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/internal/testenv"
	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/registry/auth"
	"github.com/mpak-oci/mpak/registry/auth/authtest"
	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/postgres"
	"github.com/mpak-oci/mpak/registry/catalog/postgres/pgtest"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/registrytest"
	"github.com/mpak-oci/mpak/registry/server"
)

// teamPolicy is authPolicy with a trusted publisher: tagged builds of
// acme/weather in GitHub Actions push there.
const teamPolicy = authPolicy + `trustedPublishers:
  - subject: "repo:acme/weather:ref:refs/tags/*"
    claims:
      repository_owner: acme
    repositories: acme/weather
    actions: [push]
`

// team is mpakd as a team runs it: users, a policy, robot tokens and
// trusted publishing, on one node or several sharing a catalog.
type team struct {
	*cluster
	// tokenFlags are what `mpakd token` needs to reach the catalog.
	tokenFlags []string
	issuer     *oidcIssuer
	log        *testenv.Buffer
}

// teamSetups: one mpakd with its embedded registry and SQLite, and three
// replicas on one PostgreSQL in front of distribution.
var teamSetups = []struct {
	name  string
	start func(t *testing.T) *team
}{{"embedded", embeddedTeam}, {"three replicas on PostgreSQL", replicaTeam}}

// teamAuth is each node's authentication, over the same files: the key
// is the store's (replicas) or a file's.
func teamAuth(t *testing.T, dir string, store catalog.Store, shared bool, iss *oidcIssuer, logger *slog.Logger) *server.AuthOptions {
	t.Helper()
	// Every node writes and loads the same users and policy.
	files, _ := authtest.Files(t, authtest.Config{Users: authtest.Passwords("alice", "bob", "root"), Policy: teamPolicy, Dir: dir, Logger: logger})
	var (
		key *ecdsa.PrivateKey
		err error
	)
	if shared {
		key, err = auth.LoadOrCreateSharedKey(context.Background(), store.(auth.KeyStore))
	} else {
		key, err = auth.LoadOrCreateKey(filepath.Join(dir, "token.key"))
	}
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens(auth.TokenOptions{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	pubs, err := auth.NewPublishers(auth.PublisherOptions{Issuer: iss.url, Audience: "mpakd", Policy: files.Policy, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	robots := auth.NewRobots(auth.RobotOptions{Store: store.(auth.RobotStore), Logger: logger})
	return &server.AuthOptions{Files: files, Tokens: tokens, Authenticators: []auth.Authenticator{robots, pubs}}
}

func embeddedTeam(t *testing.T) *team {
	iss := newOIDCIssuer(t)
	log := &testenv.Buffer{}
	logger := slog.New(slog.NewTextHandler(log, nil))
	data := t.TempDir()
	store, err := sqlite.Open(filepath.Join(data, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	n := startMpakd(t, server.Options{DataDir: data, Store: store, Logger: logger,
		Auth: teamAuth(t, t.TempDir(), store, false, iss, logger)})
	return &team{cluster: &cluster{nodes: []*node{n}, registry: n.host}, tokenFlags: []string{"--data", data}, issuer: iss, log: log}
}

func replicaTeam(t *testing.T) *team {
	iss := newOIDCIssuer(t)
	log := &testenv.Buffer{}
	logger := slog.New(slog.NewTextHandler(log, nil))
	dsn := pgtest.NewSchema(t)
	up := registrytest.Distribution(t)
	u, _ := url.Parse("http://" + up)
	dir := t.TempDir()
	c := &cluster{registry: up}
	for range 3 {
		store, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		c.nodes = append(c.nodes, startMpakd(t, server.Options{Store: store, Upstream: u, Logger: logger,
			Auth: teamAuth(t, dir, store, true, iss, logger)}))
	}
	return &team{cluster: c, tokenFlags: []string{"--db", dsn}, issuer: iss, log: log}
}

// TestTeam: what a team does with mpakd, through the real clients, on one
// node and across three replicas (each step through another node): users
// log in and push where the policy lets them; a token one replica issued
// is good on the others; private repositories are hidden from the search,
// the MCP Registry API and the web UI of every replica; a robot token
// created with `mpakd token create` pushes within its scope only, and is
// refused everywhere once revoked; a CI job's OIDC token publishes
// exactly where a trusted-publisher rule says.
func TestTeam(t *testing.T) {
	mpakd := testenv.GoBuild(t, "github.com/mpak-oci/mpak/cmd/mpakd")
	for _, setup := range teamSetups {
		t.Run(setup.name, func(t *testing.T) {
			tm := setup.start(t)
			nodes := tm.nodes
			at := func(i int) string { return nodes[i%len(nodes)].host }
			alice := newCLI(t, at(0), "mpak", "oras", "crane")
			anon := newCLI(t, at(0), "mpak", "crane")
			for i := range nodes {
				alice.ok("mpak", "login", at(i), "-u", "alice", "-p", "alice-pw")
				alice.ok("oras", "login", "--plain-http", at(i), "-u", "alice", "-p", "alice-pw")
			}

			// Users: push where allowed, anonymous reads, anonymous push refused.
			alice.push(at(1)+"/acme/hello", mcpbtest.Pack(t, "hello", "1.0.0", ""))
			anon.ok("mpak", "bundle", "pull", at(2)+"/acme/hello:1.0.0", "-o", t.TempDir()+"/")
			anon.refused("mpak", []string{"bundle", "push", at(2) + "/acme/anon", mcpbtest.Pack(t, "anon", "1.0.0", "")}, "push access to acme/anon needs credentials")

			// A token from one node is good on every node.
			token := fetchToken(t, at(0), "alice", "alice-pw", "repository:acme/hello:pull")
			for i := range nodes {
				if code := getWithToken(t, "http://"+at(i)+"/v2/acme/hello/tags/list", token); code != http.StatusOK {
					t.Errorf("alice's token from node 0 on node %d: %d, want 200", i, code)
				}
			}

			// Private repositories are hidden from every catalog view.
			alice.push(at(0)+"/secret/plans", mcpbtest.Pack(t, "plans", "1.0.0", ""))
			for i := range nodes {
				h := at(i)
				for _, who := range []struct {
					name, user, pass string
					sees             bool
				}{{"anonymous", "", "", false}, {"bob", "bob", "bob-pw", false}, {"alice", "alice", "alice-pw", true}} {
					for _, path := range []string{"/v1/bundles/search?q=plans", "/v0.1/servers?search=plans", "/search?q=plans"} {
						body := getAs(t, "http://"+h+path, who.user, who.pass)
						if got := strings.Contains(body, "secret/plans"); got != who.sees {
							t.Errorf("node %d %s as %s: lists secret/plans = %v, want %v:\n%.600s", i, path, who.name, got, who.sees, body)
						}
					}
				}
				if code := statusAs(t, "http://"+h+"/secret/plans", "", ""); code != http.StatusNotFound {
					t.Errorf("node %d: the web page of secret/plans answers %d to anonymous, want 404", i, code)
				}
				if code := statusAs(t, "http://"+h+"/secret/plans", "alice", "alice-pw"); code != http.StatusOK {
					t.Errorf("node %d: the web page of secret/plans answers %d to alice, want 200", i, code)
				}
			}
			if _, err := (&catalogapi.Client{BaseURL: "http://" + at(2)}).Bundle(context.Background(), "secret/plans"); err == nil {
				t.Error("the JSON API shows secret/plans to anonymous clients")
			}

			// Robot tokens: created by the CLI, used, scoped, revoked.
			out, err := exec.Command(mpakd, append([]string{"token", "create", "--name", "ci", "--scope", "acme/*", "--push", "--ttl", "1d"}, tm.tokenFlags...)...).Output()
			if err != nil {
				t.Fatalf("mpakd token create: %v\n%s", err, out)
			}
			secret := strings.TrimSpace(string(out))
			if !strings.HasPrefix(secret, auth.RobotSecretPrefix) {
				t.Fatalf("mpakd token create printed %q, want the secret alone", secret)
			}
			ci := newCLI(t, at(0), "mpak", "oras")
			for i := range nodes {
				ci.ok("mpak", "login", at(i), "-u", "ci", "-p", secret)
			}
			ci.push(at(1)+"/acme/robot", mcpbtest.Pack(t, "robot", "1.0.0", ""))
			ci.refused("mpak", []string{"bundle", "push", at(2) + "/bob/robot", mcpbtest.Pack(t, "robot", "1.0.0", "")}, "robot:ci may not push bob/robot")
			list, err := exec.Command(mpakd, append([]string{"token", "list"}, tm.tokenFlags...)...).CombinedOutput()
			if err != nil || !strings.Contains(string(list), "ci") || !strings.Contains(string(list), "active") || strings.Contains(string(list), secret) {
				t.Errorf("mpakd token list: %v, want ci active and no secret:\n%s", err, list)
			}
			if out, err := exec.Command(mpakd, append([]string{"token", "revoke", "ci"}, tm.tokenFlags...)...).CombinedOutput(); err != nil {
				t.Fatalf("mpakd token revoke: %v\n%s", err, out)
			}
			for i := range nodes {
				ci.refused("oras", []string{"login", "--plain-http", at(i), "-u", "ci", "-p", secret}, "invalid username or password")
			}
			ci.refused("mpak", []string{"bundle", "push", at(2) + "/acme/robot2", mcpbtest.Pack(t, "robot2", "1.0.0", "")})

			// Trusted publishing: a tagged build of acme/weather publishes there, nowhere else.
			jobToken := tm.issuer.mint(t, map[string]any{"sub": "repo:acme/weather:ref:refs/tags/v1.0.0", "repository_owner": "acme", "aud": "mpakd"})
			gha := newCLI(t, at(0), "mpak")
			for i := range nodes {
				gha.ok("mpak", "login", at(i), "-u", "github-actions", "-p", jobToken)
			}
			gha.push(at(2)+"/acme/weather", mcpbtest.Pack(t, "weather", "1.0.0", ""))
			gha.refused("mpak", []string{"bundle", "push", at(1) + "/acme/other", mcpbtest.Pack(t, "other", "1.0.0", "")}, "may not push acme/other")
			fork := tm.issuer.mint(t, map[string]any{"sub": "repo:evil/weather:ref:refs/tags/v1.0.0", "repository_owner": "evil", "aud": "mpakd"})
			gha.refused("mpak", []string{"login", at(0), "-u", "github-actions", "-p", fork})
			expired := tm.issuer.mint(t, map[string]any{"sub": "repo:acme/weather:ref:refs/tags/v1.0.0", "repository_owner": "acme", "aud": "mpakd",
				"exp": time.Now().Add(-time.Hour).Unix()})
			gha.refused("mpak", []string{"login", at(1), "-u", "github-actions", "-p", expired})

			audit := tm.log.String()
			for _, want := range []string{"robot token used", "oidc token accepted", "user=robot:ci action=push repository=acme/robot",
				"user=oidc:repo:acme/weather:ref:refs/tags/v1.0.0 action=push repository=acme/weather"} {
				if !strings.Contains(audit, want) {
					t.Errorf("the audit log has no %q", want)
				}
			}
			for _, secretText := range []string{secret, jobToken, "alice-pw"} {
				if strings.Contains(audit, secretText) {
					t.Error("a secret reached the log")
				}
			}
		})
	}
}

// oidcIssuer is a local OpenID provider, as GitHub Actions' looks to
// mpakd: discovery document, JWKS, ES256 tokens.
type oidcIssuer struct {
	url string
	key *ecdsa.PrivateKey
}

func newOIDCIssuer(t *testing.T) *oidcIssuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	iss := &oidcIssuer{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": iss.url, "jwks_uri": iss.url + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	iss.url = srv.URL
	return iss
}

// mint signs a token with claims over the defaults of a GitHub Actions
// job token that is valid now.
func (i *oidcIssuer) mint(t *testing.T, claims map[string]any) string {
	t.Helper()
	now := time.Now()
	all := map[string]any{"iss": i.url, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
		"repository": "acme/weather", "ref": "refs/tags/v1.0.0", "jti": "job-1"}
	for k, v := range claims {
		all[k] = v
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: i.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	token, err := jwt.Signed(signer).Claims(all).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// fetchToken asks host's token endpoint for scope as user.
func fetchToken(t *testing.T, host, user, pass, scope string) string {
	t.Helper()
	body := getAs(t, "http://"+host+"/token?service=mpakd&scope="+url.QueryEscape(scope), user, pass)
	var tok struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(body), &tok); err != nil || tok.Token == "" {
		t.Fatalf("token from %s: %v\n%s", host, err, body)
	}
	return tok.Token
}

func getWithToken(t *testing.T, u, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// getAs is the body of a GET with Basic credentials (none for user "").
func getAs(t *testing.T, u, user, pass string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	io.Copy(&b, resp.Body)
	return b.String()
}

func statusAs(t *testing.T, u, user, pass string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
