package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// oidcPolicy lets tagged builds of acme/weather push there, and nothing
// else: acme/** is open to users who logged in, which CI jobs are not.
const oidcPolicy = `repositories:
  "acme/**":
    authenticated: [read]
trustedPublishers:
  - subject: "repo:acme/weather:ref:refs/tags/*"
    claims:
      repository_owner: acme
    repositories: "acme/weather"
    actions: [push]
`

const ghSubject = "repo:acme/weather:ref:refs/tags/v1.2.0"

// signingKey is one of the test issuer's keys.
type signingKey struct {
	kid  string
	alg  jose.SignatureAlgorithm
	priv any
}

func (k signingKey) public() jose.JSONWebKey {
	var pub any
	switch p := k.priv.(type) {
	case *rsa.PrivateKey:
		pub = &p.PublicKey
	case *ecdsa.PrivateKey:
		pub = &p.PublicKey
	}
	return jose.JSONWebKey{Key: pub, KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"}
}

var (
	rsaKeysOnce sync.Once
	rsaKeys     [3]*rsa.PrivateKey
)

// rsaKey is one of three RSA keys shared by the tests: generating them
// is slow.
func rsaKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	rsaKeysOnce.Do(func() {
		for j := range rsaKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			rsaKeys[j] = k
		}
	})
	return rsaKeys[i]
}

// oidcIssuer is a local OIDC issuer shaped like GitHub Actions': its
// OpenID configuration and its key set, counting fetches.
type oidcIssuer struct {
	srv *httptest.Server

	mu        sync.Mutex
	published []signingKey // what the JWKS lists
	confHits  int
	jwksHits  int
	fail      bool // answer 500
}

func newOIDCIssuer(t testing.TB, keys ...signingKey) *oidcIssuer {
	t.Helper()
	is := &oidcIssuer{published: keys}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		is.mu.Lock()
		is.confHits++
		fail := is.fail
		is.mu.Unlock()
		if fail {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                is.url(),
			"jwks_uri":                              is.url() + "/.well-known/jwks",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /.well-known/jwks", func(w http.ResponseWriter, r *http.Request) {
		is.mu.Lock()
		defer is.mu.Unlock()
		is.jwksHits++
		if is.fail {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(is.jwksLocked())
	})
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

func (is *oidcIssuer) url() string { return is.srv.URL }

func (is *oidcIssuer) jwksLocked() jose.JSONWebKeySet {
	var set jose.JSONWebKeySet
	for _, k := range is.published {
		set.Keys = append(set.Keys, k.public())
	}
	return set
}

func (is *oidcIssuer) publish(keys ...signingKey) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.published = keys
}

func (is *oidcIssuer) hits() (conf, jwks int) {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.confHits, is.jwksHits
}

// ghClaims are the claims of a GitHub Actions token for a tag build of
// acme/weather, issued at now.
func ghClaims(iss string, now time.Time) map[string]any {
	return map[string]any{
		"iss":                 iss,
		"sub":                 ghSubject,
		"aud":                 "mpakd",
		"jti":                 "6f4c2f0e-1b1a-4c47-9d0e-000000000001",
		"repository":          "acme/weather",
		"repository_id":       "123456",
		"repository_owner":    "acme",
		"repository_owner_id": "654321",
		"ref":                 "refs/tags/v1.2.0",
		"ref_type":            "tag",
		"ref_protected":       true,
		"event_name":          "push",
		"workflow_ref":        "acme/weather/.github/workflows/release.yml@refs/tags/v1.2.0",
		"job_workflow_ref":    "acme/weather/.github/workflows/release.yml@refs/tags/v1.2.0",
		"run_id":              "9876543210",
		"runner_environment":  "github-hosted",
		"nbf":                 now.Add(-5 * time.Minute).Unix(),
		"iat":                 now.Unix(),
		"exp":                 now.Add(5 * time.Minute).Unix(),
	}
}

// signJWT signs claims as a JWT with k.
func signJWT(t testing.TB, k signingKey, claims any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type oidcFixture struct {
	issuer *oidcIssuer
	pub    *Publishers
	clock  *clock
	policy *Policy
	logs   *bytes.Buffer
	rsa    signingKey // published
	ec     signingKey // published
}

func newOIDCFixture(t *testing.T, policy string, opts func(*PublisherOptions)) *oidcFixture {
	t.Helper()
	f := &oidcFixture{
		clock:  &clock{t0},
		policy: mustPolicy(t, policy),
		logs:   new(bytes.Buffer),
		rsa:    signingKey{kid: "rsa-1", alg: jose.RS256, priv: rsaKey(t, 0)},
		ec:     signingKey{kid: "ec-1", alg: jose.ES256, priv: testKey(t, "oidc-ec")},
	}
	f.issuer = newOIDCIssuer(t, f.rsa, f.ec)
	o := PublisherOptions{
		Issuer: f.issuer.url(), Audience: "mpakd",
		Policy: func() *Policy { return f.policy },
		Now:    f.clock.now,
		Logger: slog.New(slog.NewTextHandler(&syncWriter{w: f.logs}, nil)),
	}
	if opts != nil {
		opts(&o)
	}
	p, err := NewPublishers(o)
	if err != nil {
		t.Fatal(err)
	}
	f.pub = p
	return f
}

// token is a GitHub-shaped token from the fixture's issuer, edited.
func (f *oidcFixture) token(t *testing.T, k signingKey, edit func(map[string]any)) string {
	t.Helper()
	c := ghClaims(f.issuer.url(), f.clock.t)
	if edit != nil {
		edit(c)
	}
	return signJWT(t, k, c)
}

func (f *oidcFixture) auth(password string) (Principal, error) {
	r := httptest.NewRequest("GET", "/token", nil)
	return f.pub.Authenticate(r, "ignored", password)
}

func grantsOf(gs []Grant) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.Pattern()+"="+describeActions(g.Actions()))
	}
	return out
}

func TestOIDCAccepted(t *testing.T) {
	f := newOIDCFixture(t, oidcPolicy, nil)
	for _, k := range []signingKey{f.rsa, f.ec} {
		tok := f.token(t, k, nil)
		who, err := f.auth(tok)
		if err != nil {
			t.Fatalf("%s: %v", k.alg, err)
		}
		if who.Name != "oidc:"+ghSubject || who.Kind != KindOIDC || who.Anonymous() {
			t.Errorf("%s: principal %+v", k.alg, who)
		}
		if got, want := grantsOf(who.Grants), []string{"acme/weather=read, push"}; !slices.Equal(got, want) {
			t.Errorf("%s: grants %v, want %v", k.alg, got, want)
		}
		// Exactly the rule's repositories: not what users who logged in get.
		checkAllowed(t, f.policy, []allowCase{
			{who, "acme/weather", ActionPush, true},
			{who, "acme/weather", ActionRead, true},
			{who, "acme/weather", ActionDelete, false},
			{who, "acme/other", ActionRead, false},
			{who, "acme/weather/x", ActionPush, false},
		})
		if strings.Contains(f.logs.String(), tok) || strings.Contains(f.logs.String(), strings.Split(tok, ".")[2]) {
			t.Error("the token was logged")
		}
	}
	logs := f.logs.String()
	for _, w := range []string{`msg="oidc token accepted"`, "issuer=" + f.issuer.url(), `subject=` + ghSubject, "acme/weather (read, push)", "job_workflow_ref="} {
		if !strings.Contains(logs, w) {
			t.Errorf("logs lack %q:\n%s", w, logs)
		}
	}
	// One discovery and one key set for both tokens.
	if conf, jwks := f.issuer.hits(); conf != 1 || jwks != 1 {
		t.Errorf("fetched the configuration %d times and the keys %d times, want once each", conf, jwks)
	}
}

func TestOIDCNotMine(t *testing.T) {
	f := newOIDCFixture(t, oidcPolicy, nil)
	other := signJWT(t, f.rsa, ghClaims("https://gitlab.example", t0))
	mpakdToken, _, err := newTestTokens(t, TokenOptions{Now: f.clock.now}).Issue("alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, pw := range map[string]string{
		"empty":        "",
		"password":     "hunter2",
		"robot token":  RobotSecretPrefix + strings.Repeat("A", 43),
		"two parts":    "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0",
		"not base64":   "a.!!!.c",
		"not json":     "a." + base64.RawURLEncoding.EncodeToString([]byte("iss")) + ".c",
		"other issuer": other,
		"mpakd token":  mpakdToken,
		"huge":         "a." + strings.Repeat("b", maxTokenLen) + ".c",
	} {
		if _, err := f.auth(pw); !errors.Is(err, ErrNotMine) {
			t.Errorf("%s: %v, want ErrNotMine", name, err)
		}
	}
	if conf, jwks := f.issuer.hits(); conf+jwks != 0 {
		t.Errorf("fetched keys for tokens that are not the issuer's: %d, %d", conf, jwks)
	}
}

func TestOIDCRefused(t *testing.T) {
	f := newOIDCFixture(t, oidcPolicy+`  - subject: "repo:acme/tool*:ref:refs/tags/*"
    claims: {ref_protected: true}
    repositories: ["acme/tools/*"]
    actions: [read]
`, nil)
	valid := f.token(t, f.rsa, nil)
	parts := strings.Split(valid, ".")
	b64 := base64.RawURLEncoding.EncodeToString

	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[len(sig)/2] ^= 1
	tamperedSig := parts[0] + "." + parts[1] + "." + b64(sig)

	c := ghClaims(f.issuer.url(), t0)
	c["sub"] = "repo:acme/weather:ref:refs/tags/v9.9.9"
	payload, _ := json.Marshal(c)
	tamperedPayload := parts[0] + "." + b64(payload) + "." + parts[2]

	pubDER, _ := x509.MarshalPKIXPublicKey(&rsaKey(t, 0).PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hsPEM := signJWT(t, signingKey{kid: f.rsa.kid, alg: jose.HS256, priv: pubPEM}, ghClaims(f.issuer.url(), t0))
	hsDER := signJWT(t, signingKey{kid: f.rsa.kid, alg: jose.HS256, priv: pubDER}, ghClaims(f.issuer.url(), t0))
	none := b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	// A key the issuer never published, under a published key's ID.
	impostor := signJWT(t, signingKey{kid: f.rsa.kid, alg: jose.RS256, priv: rsaKey(t, 1)}, ghClaims(f.issuer.url(), t0))
	// An EC signature under the RSA key's ID.
	crossed := signJWT(t, signingKey{kid: f.rsa.kid, alg: jose.ES256, priv: testKey(t, "oidc-ec")}, ghClaims(f.issuer.url(), t0))
	ps256 := signJWT(t, signingKey{kid: f.rsa.kid, alg: jose.PS256, priv: rsaKey(t, 0)}, ghClaims(f.issuer.url(), t0))

	for _, c := range []struct {
		name, token string
		want        []string
	}{
		{"wrong audience", f.token(t, f.rsa, func(c map[string]any) { c["aud"] = "sigstore" }), []string{`"sigstore"`, `want "mpakd"`}},
		{"audience list without mpakd", f.token(t, f.rsa, func(c map[string]any) { c["aud"] = []string{"a", "b"} }), []string{"audience"}},
		{"no audience", f.token(t, f.rsa, func(c map[string]any) { delete(c, "aud") }), []string{"audience"}},
		{"expired", f.token(t, f.rsa, func(c map[string]any) { c["exp"] = t0.Add(-61 * time.Second).Unix() }), []string{"expired at 2026-05-01T11:58:59Z"}},
		{"no exp", f.token(t, f.rsa, func(c map[string]any) { delete(c, "exp") }), []string{"no exp"}},
		{"not yet valid", f.token(t, f.rsa, func(c map[string]any) { c["nbf"] = t0.Add(61 * time.Second).Unix() }), []string{"not valid before"}},
		{"issued in the future", f.token(t, f.rsa, func(c map[string]any) { c["iat"] = t0.Add(2 * time.Minute).Unix() }), []string{"future"}},
		{"no subject", f.token(t, f.rsa, func(c map[string]any) { delete(c, "sub") }), []string{"no sub"}},
		{"tampered signature", tamperedSig, []string{"bad signature"}},
		{"tampered payload", tamperedPayload, []string{"bad signature"}},
		{"HS256 with the public key (PEM) as secret", hsPEM, []string{"RS256 or ES256"}},
		{"HS256 with the public key (DER) as secret", hsDER, []string{"RS256 or ES256"}},
		{"alg none", none, []string{"RS256 or ES256"}},
		{"PS256", ps256, []string{"RS256 or ES256"}},
		{"key not published", impostor, []string{"bad signature"}},
		{"algorithm of another key type", crossed, []string{"bad signature"}},
		{"unknown key", signJWT(t, signingKey{kid: "nope", alg: jose.RS256, priv: rsaKey(t, 1)}, ghClaims(f.issuer.url(), t0)), []string{`key "nope"`, "not among"}},
		{"claim mismatch", f.token(t, f.rsa, func(c map[string]any) { c["repository_owner"] = "evil" }), []string{"no trustedPublishers rule", ghSubject, "add a trustedPublishers rule"}},
		{"claim missing", f.token(t, f.rsa, func(c map[string]any) { delete(c, "repository_owner") }), []string{"no trustedPublishers rule"}},
		{"claim of another type", f.token(t, f.rsa, func(c map[string]any) { c["repository_owner"] = []string{"acme"} }), []string{"no trustedPublishers rule"}},
		{"branch, not tag", f.token(t, f.rsa, func(c map[string]any) { c["sub"] = "repo:acme/weather:ref:refs/heads/main" }), []string{"refs/heads/main"}},
		// acme/tool* would need to cross ':' to match this environment's subject.
		{"star across ':'", f.token(t, f.rsa, func(c map[string]any) {
			c["sub"] = "repo:acme/tools:environment:prod:ref:refs/tags/v1"
		}), []string{"no trustedPublishers rule", "environment:prod"}},
		{"boolean claim mismatch", f.token(t, f.rsa, func(c map[string]any) {
			c["sub"] = "repo:acme/tools:ref:refs/tags/v1"
			c["ref_protected"] = false
		}), []string{"no trustedPublishers rule"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			who, err := f.auth(c.token)
			if err == nil {
				t.Fatalf("accepted as %+v", who)
			}
			if !errors.Is(err, ErrOIDCRefused) {
				t.Errorf("%v does not wrap ErrOIDCRefused", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if !reflect.DeepEqual(who, Principal{}) {
				t.Errorf("principal %+v alongside an error", who)
			}
		})
	}
	// Within the leeway is still fine, and the second rule's star stays
	// within its part.
	for name, edit := range map[string]func(map[string]any){
		"exp within leeway": func(c map[string]any) { c["exp"] = t0.Add(-59 * time.Second).Unix() },
		"nbf within leeway": func(c map[string]any) { c["nbf"] = t0.Add(59 * time.Second).Unix() },
		"audience list":     func(c map[string]any) { c["aud"] = []string{"sigstore", "mpakd"} },
	} {
		if _, err := f.auth(f.token(t, f.rsa, edit)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	who, err := f.auth(f.token(t, f.rsa, func(c map[string]any) {
		c["sub"] = "repo:acme/tools:ref:refs/tags/v1"
		c["repository_owner"] = "someone-else"
	}))
	if err != nil || !slices.Equal(grantsOf(who.Grants), []string{"acme/tools/*=read"}) {
		t.Errorf("second rule: %v %v", grantsOf(who.Grants), err)
	}
	if strings.Contains(f.logs.String(), valid) || !strings.Contains(f.logs.String(), `msg="oidc token refused"`) {
		t.Errorf("refusals not logged, or the token was:\n%s", f.logs)
	}
}

func TestOIDCBothRulesGrant(t *testing.T) {
	f := newOIDCFixture(t, oidcPolicy+`  - subject: "repo:acme/weather:*:*"
    repositories: ["acme/weather-*", "acme/shared"]
    actions: [read]
`, nil)
	who, err := f.auth(f.token(t, f.ec, nil))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"acme/weather=read, push", "acme/weather-*=read", "acme/shared=read"}
	if got := grantsOf(who.Grants); !slices.Equal(got, want) {
		t.Errorf("grants %v, want %v", got, want)
	}
}

func TestOIDCPolicyReloaded(t *testing.T) {
	f := newOIDCFixture(t, oidcPolicy, nil)
	tok := f.token(t, f.rsa, nil)
	if _, err := f.auth(tok); err != nil {
		t.Fatal(err)
	}
	f.policy = mustPolicy(t, "repositories: {}\n")
	if _, err := f.auth(tok); err == nil || !strings.Contains(err.Error(), "add a trustedPublishers rule") {
		t.Errorf("after the rule was removed: %v", err)
	}
}

func TestOIDCKeyRotation(t *testing.T) {
	f := newOIDCFixture(t, oidcPolicy, nil)
	f.issuer.publish(f.rsa)
	expectHits := func(wantJWKS int) {
		t.Helper()
		conf, jwks := f.issuer.hits()
		if conf != wantJWKS || jwks != wantJWKS {
			t.Fatalf("fetched the configuration %d times and the keys %d times, want %d", conf, jwks, wantJWKS)
		}
	}
	accept := func(k signingKey) {
		t.Helper()
		if _, err := f.auth(f.token(t, k, nil)); err != nil {
			t.Fatalf("%s: %v", k.kid, err)
		}
	}
	for range 5 {
		accept(f.rsa)
	}
	expectHits(1)

	// The issuer rotates to a new key; the first token signed with it
	// makes mpakd fetch the keys again, once.
	f.clock.t = f.clock.t.Add(2 * time.Minute)
	next := signingKey{kid: "rsa-2", alg: jose.RS256, priv: rsaKey(t, 1)}
	f.issuer.publish(f.rsa, next)
	rotated := f.token(t, next, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := f.auth(rotated)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	expectHits(2)
	accept(f.rsa)
	expectHits(2)

	// Unknown keys do not make every request a fetch: at most one a minute.
	bogus := signingKey{kid: "rsa-3", alg: jose.RS256, priv: rsaKey(t, 2)}
	for range 10 {
		if _, err := f.auth(f.token(t, bogus, nil)); err == nil || !strings.Contains(err.Error(), `"rsa-3"`) {
			t.Fatalf("unknown key: %v", err)
		}
	}
	expectHits(2)
	f.clock.t = f.clock.t.Add(61 * time.Second)
	for range 10 {
		_, _ = f.auth(f.token(t, bogus, nil))
	}
	expectHits(3)

	// The old key withdrawn: it stops working when the set is an hour old.
	f.issuer.publish(next)
	accept(f.rsa)
	expectHits(3)
	f.clock.t = f.clock.t.Add(time.Hour)
	if _, err := f.auth(f.token(t, f.rsa, nil)); err == nil {
		t.Fatal("a withdrawn key still works after an hour")
	}
	expectHits(4)
	accept(next)

	// The issuer down: the keys already fetched keep working, and the
	// failures are not retried for every request either.
	f.issuer.mu.Lock()
	f.issuer.fail = true
	f.issuer.mu.Unlock()
	f.clock.t = f.clock.t.Add(2 * time.Hour)
	for range 5 {
		accept(next)
	}
	if conf, _ := f.issuer.hits(); conf != 5 {
		t.Errorf("configuration fetched %d times, want 5", conf)
	}
}

func TestOIDCIssuerUnreachable(t *testing.T) {
	f := newOIDCFixture(t, oidcPolicy, nil)
	f.issuer.mu.Lock()
	f.issuer.fail = true
	f.issuer.mu.Unlock()
	for range 3 {
		if _, err := f.auth(f.token(t, f.rsa, nil)); err == nil || !strings.Contains(err.Error(), "not available") {
			t.Fatalf("issuer down: %v", err)
		}
	}
	if conf, _ := f.issuer.hits(); conf != 1 {
		t.Errorf("configuration fetched %d times, want 1", conf)
	}
	f.issuer.mu.Lock()
	f.issuer.fail = false
	f.issuer.mu.Unlock()
	f.clock.t = f.clock.t.Add(time.Minute)
	if _, err := f.auth(f.token(t, f.rsa, nil)); err != nil {
		t.Fatalf("issuer back: %v", err)
	}
}

func TestOIDCDiscoveryChecksIssuer(t *testing.T) {
	// An issuer URL that answers with another issuer's configuration: a
	// typo, or a proxy in the way.
	real := newOIDCIssuer(t, signingKey{kid: "k", alg: jose.ES256, priv: testKey(t, "k")})
	p, err := NewPublishers(PublisherOptions{
		Issuer: real.url() + "/", Audience: "mpakd",
		Policy: func() *Policy { return mustPolicy(t, oidcPolicy) },
		Now:    (&clock{t0}).now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	tok := signJWT(t, signingKey{kid: "k", alg: jose.ES256, priv: testKey(t, "k")}, ghClaims(real.url()+"/", t0))
	if _, err := p.Authenticate(httptest.NewRequest("GET", "/", nil), "", tok); err == nil || !strings.Contains(err.Error(), "want \""+real.url()+"/\"") {
		t.Errorf("mismatched discovery: %v", err)
	}
}

func TestOIDCJWKSFile(t *testing.T) {
	key := signingKey{kid: "file-1", alg: jose.ES256, priv: testKey(t, "file")}
	data, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{key.public()}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "jwks.json")
	writeFile(t, path, string(data))
	c := &clock{t0}
	p, err := NewPublishers(PublisherOptions{
		Audience: "mpakd", JWKSFile: path,
		Policy: func() *Policy { return mustPolicy(t, oidcPolicy) },
		// Nothing may reach the network: a client that fails every request.
		HTTPClient: &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
			return nil, errors.New("no network in tests")
		})},
		Now: c.now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.Issuer() != DefaultOIDCIssuer {
		t.Errorf("issuer %q", p.Issuer())
	}
	r := httptest.NewRequest("GET", "/", nil)
	who, err := p.Authenticate(r, "", signJWT(t, key, ghClaims(DefaultOIDCIssuer, t0)))
	if err != nil || who.Name != "oidc:"+ghSubject {
		t.Fatalf("%+v %v", who, err)
	}

	// A key added to the file is read when a token uses it.
	next := signingKey{kid: "file-2", alg: jose.RS256, priv: rsaKey(t, 0)}
	data, _ = json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{key.public(), next.public()}})
	writeFile(t, path, string(data))
	c.t = c.t.Add(2 * time.Minute)
	if _, err := p.Authenticate(r, "", signJWT(t, next, ghClaims(DefaultOIDCIssuer, c.t))); err != nil {
		t.Errorf("key added to the file: %v", err)
	}

	for name, content := range map[string]string{"garbage": "{", "no keys": `{"keys":[]}`} {
		writeFile(t, path, content)
		if _, err := NewPublishers(PublisherOptions{Audience: "a", JWKSFile: path, Policy: DefaultPolicy}); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := NewPublishers(PublisherOptions{Audience: "a", JWKSFile: filepath.Join(t.TempDir(), "missing"), Policy: DefaultPolicy}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestOIDCWeakAndOddKeysIgnored(t *testing.T) {
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	keys := []signingKey{
		{kid: "weak", alg: jose.RS256, priv: weak},
		{kid: "enc", alg: jose.RS256, priv: rsaKey(t, 0)},
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{keys[0].public(), keys[1].public()}}
	set.Keys[1].Use = "enc"
	data, _ := json.Marshal(set)
	path := filepath.Join(t.TempDir(), "jwks.json")
	writeFile(t, path, string(data))
	p, err := NewPublishers(PublisherOptions{Audience: "mpakd", JWKSFile: path,
		Policy: func() *Policy { return mustPolicy(t, oidcPolicy) },
		Now:    (&clock{t0}).now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if _, err := p.Authenticate(nil, "", signJWT(t, k, ghClaims(DefaultOIDCIssuer, t0))); err == nil || !strings.Contains(err.Error(), "bad signature") {
			t.Errorf("%s: %v", k.kid, err)
		}
	}
}

func TestNewPublishersErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		opts PublisherOptions
		want string
	}{
		{"no audience", PublisherOptions{Policy: DefaultPolicy}, "audience"},
		{"no policy", PublisherOptions{Audience: "mpakd"}, "policy"},
		{"url and file", PublisherOptions{Audience: "mpakd", Policy: DefaultPolicy, JWKSURL: "https://x/jwks", JWKSFile: "/x"}, "not both"},
		{"plain http issuer", PublisherOptions{Audience: "mpakd", Policy: DefaultPolicy, Issuer: "http://issuer.example"}, "https only"},
		{"plain http jwks", PublisherOptions{Audience: "mpakd", Policy: DefaultPolicy, JWKSURL: "http://issuer.example/jwks"}, "https only"},
		{"issuer not a URL", PublisherOptions{Audience: "mpakd", Policy: DefaultPolicy, Issuer: "github"}, "not an http(s) URL"},
	} {
		if _, err := NewPublishers(c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error mentioning %q", c.name, err, c.want)
		}
	}
	// Plain http from this machine is fine: a test issuer, or a sidecar.
	if _, err := NewPublishers(PublisherOptions{Audience: "mpakd", Policy: DefaultPolicy, Issuer: "http://127.0.0.1:8080"}); err != nil {
		t.Error(err)
	}
}

// TestOIDCTokenEndpoint logs a CI job in at the real token endpoint, with
// the users' htpasswd behind it in the chain.
func TestOIDCTokenEndpoint(t *testing.T) {
	dir := t.TempDir()
	fo := FilesOptions{
		HtpasswdPath: filepath.Join(dir, "htpasswd"),
		PolicyPath:   filepath.Join(dir, "policy.yaml"),
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	writeFile(t, fo.HtpasswdPath, "alice:"+bcryptHash(t, "pw")+"\n")
	writeFile(t, fo.PolicyPath, oidcPolicy)
	files, err := LoadFiles(fo)
	if err != nil {
		t.Fatal(err)
	}
	f := newOIDCFixture(t, oidcPolicy, func(o *PublisherOptions) { o.Policy = files.Policy })
	tokens := newTestTokens(t, TokenOptions{Now: f.clock.now})
	h := TokenHandler(TokenHandlerOptions{
		Tokens: tokens, Authenticate: Chain(f.pub, files).Authenticate, Grant: files.Grant,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	get := func(user, pass string) (int, *Claims) {
		t.Helper()
		r := httptest.NewRequest("GET", "/token?service=mpakd&scope=repository:acme/weather:pull,push&scope=repository:acme/other:pull,push", nil)
		r.SetBasicAuth(user, pass)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			return w.Code, nil
		}
		var body struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		c, err := tokens.Verify(body.Token)
		if err != nil {
			t.Fatal(err)
		}
		return w.Code, c
	}

	// docker login -u <anything> -p $ACTIONS_ID_TOKEN
	code, c := get("github-actions", f.token(t, f.rsa, nil))
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	if want := []Access{repoAccess("acme/weather", "pull", "push")}; c.Subject != "oidc:"+ghSubject || !reflect.DeepEqual(c.Access, want) {
		t.Errorf("CI job got %+v, want push on acme/weather and nothing on acme/other", c)
	}

	// Users still log in through the chain, with what the policy gives them.
	if code, c = get("alice", "pw"); code != 200 || !reflect.DeepEqual(c.Access, []Access{repoAccess("acme/weather", "pull"), repoAccess("acme/other", "pull")}) {
		t.Errorf("alice: %d %+v", code, c)
	}
	// A token the policy does not map is a 401, not an anonymous token.
	if code, _ = get("x", f.token(t, f.rsa, func(c map[string]any) { c["repository_owner"] = "evil" })); code != 401 {
		t.Errorf("unmapped token: %d", code)
	}
	if code, _ = get("x", f.token(t, f.rsa, func(c map[string]any) { c["aud"] = "other" })); code != 401 {
		t.Errorf("wrong audience: %d", code)
	}
}
