package auth

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// DefaultOIDCIssuer is GitHub Actions' token issuer.
const DefaultOIDCIssuer = "https://token.actions.githubusercontent.com"

// ErrOIDCRefused is wrapped by every refusal of a token from the trusted
// issuer.
var ErrOIDCRefused = errors.New("OIDC token refused")

const (
	// oidcLeeway absorbs clock skew between the CI's issuer and mpakd.
	oidcLeeway = 60 * time.Second
	// jwksRefetch bounds fetches of the key set: a flood of tokens with
	// made-up key IDs must not become a flood of requests to the issuer.
	jwksRefetch = time.Minute
	// jwksMaxAge makes a key the issuer withdrew stop working within the
	// hour, even if no token with a new key ever triggers a refetch.
	jwksMaxAge = time.Hour
	// jwksTimeout bounds a fetch, which a login waits for.
	jwksTimeout = 10 * time.Second
	// maxJWKS bounds what an issuer's answer may make mpakd read.
	maxJWKS = 1 << 20
	// minRSABits refuses keys too weak to trust, whoever published them.
	minRSABits = 2048
)

// oidcAlgorithms are the signatures accepted: never "none", and never an
// HMAC, which a forger could "sign" with the issuer's public key as the
// secret.
var oidcAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}

// PublisherOptions configure Publishers.
type PublisherOptions struct {
	// Issuer is the iss of the tokens accepted (default DefaultOIDCIssuer).
	Issuer string
	// Audience must be in the tokens' aud (required): the CI asks for a
	// token for this audience, so a token minted for another service is
	// of no use here.
	Audience string
	// The issuer's keys: JWKSURL, or JWKSFile (a JWKS on disk, re-read
	// like a URL), or by default the jwks_uri of Issuer's
	// /.well-known/openid-configuration.
	JWKSURL, JWKSFile string
	HTTPClient        *http.Client // default: one with a 10 s timeout
	// Policy is the current policy, whose trustedPublishers map tokens to
	// grants (required). It is called for each token, so a reloaded policy
	// applies at once.
	Policy func() *Policy
	Now    func() time.Time
	Logger *slog.Logger
}

// Publishers authenticates CI jobs by their OIDC tokens (trusted
// publishing): the token is the password, the username is ignored. Safe
// for concurrent use.
type Publishers struct {
	issuer, audience string
	policy           func() *Policy
	now              func() time.Time
	log              *slog.Logger
	keys             *jwksCache
}

var _ Authenticator = (*Publishers)(nil)

// NewPublishers checks the options. It fetches nothing: the keys are
// fetched at the first token, so an issuer out of reach does not stop
// mpakd from starting.
func NewPublishers(opts PublisherOptions) (*Publishers, error) {
	if opts.Issuer == "" {
		opts.Issuer = DefaultOIDCIssuer
	}
	if opts.Audience == "" {
		return nil, errors.New("trusted publishing needs an audience: the aud the CI requests its token for")
	}
	if opts.Policy == nil {
		return nil, errors.New("trusted publishing needs the policy")
	}
	if opts.JWKSURL != "" && opts.JWKSFile != "" {
		return nil, errors.New("trusted publishing: give the issuer's keys as a URL or as a file, not both")
	}
	p := &Publishers{issuer: opts.Issuer, audience: opts.Audience, policy: opts.Policy, now: opts.Now, log: opts.Logger}
	if p.now == nil {
		p.now = time.Now
	}
	if p.log == nil {
		p.log = slog.Default()
	}
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: jwksTimeout, CheckRedirect: func(r *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			// A redirect to plain http would undo checkFetchURL.
			return checkFetchURL(r.URL.String())
		}}
	}
	c := &jwksCache{now: p.now, log: p.log}
	switch {
	case opts.JWKSFile != "":
		path := opts.JWKSFile
		c.where = path
		c.fetch = func(context.Context) (*jose.JSONWebKeySet, error) {
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, err
			}
			return parseJWKS(data)
		}
		// A file is under the operator's hand: a mistake in it is
		// reported at startup, not at the first CI job.
		set, err := c.fetch(context.Background())
		if err != nil {
			return nil, fmt.Errorf("trusted publishing: JWKS %s: %w", path, err)
		}
		c.store(set, p.now())
	case opts.JWKSURL != "":
		if err := checkFetchURL(opts.JWKSURL); err != nil {
			return nil, fmt.Errorf("trusted publishing: JWKS URL: %w", err)
		}
		c.where = opts.JWKSURL
		c.fetch = func(ctx context.Context) (*jose.JSONWebKeySet, error) {
			return fetchJWKS(ctx, client, opts.JWKSURL)
		}
	default:
		if err := checkFetchURL(opts.Issuer); err != nil {
			return nil, fmt.Errorf("trusted publishing: issuer: %w (or give its keys with a JWKS file)", err)
		}
		c.where = strings.TrimSuffix(opts.Issuer, "/") + "/.well-known/openid-configuration"
		c.fetch = func(ctx context.Context) (*jose.JSONWebKeySet, error) {
			return discoverJWKS(ctx, client, opts.Issuer)
		}
	}
	p.keys = c
	return p, nil
}

// Issuer is the iss of the tokens p accepts.
func (p *Publishers) Issuer() string { return p.issuer }

// Audience is the aud p requires.
func (p *Publishers) Audience() string { return p.audience }

// Authenticate claims passwords that are JWTs from p's issuer; anything
// else is ErrNotMine, for the robot tokens and users after it in a Chain.
// The principal is oidc:SUB, of KindOIDC, carrying the grants of the
// trustedPublishers rules the token matches. Neither errors nor logs ever
// hold the token.
func (p *Publishers) Authenticate(r *http.Request, _, password string) (Principal, error) {
	if len(password) > maxTokenLen {
		return Principal{}, ErrNotMine
	}
	// Which verifier a password is for is decided on its unverified
	// issuer; only then is it worth a signature check.
	if iss, ok := unverifiedIssuer(password); !ok || iss != p.issuer {
		return Principal{}, ErrNotMine
	}
	ctx, remote := context.Background(), ""
	if r != nil {
		ctx, remote = r.Context(), r.RemoteAddr
	}
	claims, err := p.verify(ctx, password)
	if err != nil {
		subject, _ := claims["sub"].(string) // unverified, for the log only
		p.log.Warn("oidc token refused", "issuer", p.issuer, "subject", subject, "reason", err.Error(), "remote", remote)
		return Principal{}, err
	}
	sub := claims["sub"].(string)
	grants := p.policy().TrustedPublishers(p.issuer, sub, claims)
	if len(grants) == 0 {
		err := fmt.Errorf("%w: no trustedPublishers rule in the policy matches subject %q of issuer %s: add a trustedPublishers rule for it", ErrOIDCRefused, sub, p.issuer)
		p.log.Warn("oidc token refused", "issuer", p.issuer, "subject", sub, "reason", err.Error(), "remote", remote)
		return Principal{}, err
	}
	granted := make([]string, len(grants))
	for i, g := range grants {
		granted[i] = g.Pattern() + " (" + describeActions(g.Actions()) + ")"
	}
	attrs := []any{"issuer", p.issuer, "subject", sub, "repositories", granted, "remote", remote}
	for _, k := range []string{"job_workflow_ref", "run_id", "jti"} {
		if v, ok := claims[k].(string); ok {
			attrs = append(attrs, k, v)
		}
	}
	p.log.Info("oidc token accepted", attrs...)
	return Principal{Name: "oidc:" + sub, Kind: KindOIDC, Grants: grants}, nil
}

// verify checks the token's signature and registered claims and returns
// all of its claims. On error the claims are those of the unverified
// payload, if it could be read, so the refusal can be logged by subject.
func (p *Publishers) verify(ctx context.Context, token string) (map[string]any, error) {
	refuse := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrOIDCRefused, fmt.Sprintf(format, args...))
	}
	jws, err := jose.ParseSignedCompact(token, oidcAlgorithms)
	if err != nil {
		return nil, refuse("not a JWT signed RS256 or ES256 (%s)", strings.TrimPrefix(err.Error(), "go-jose/go-jose: "))
	}
	var unverified map[string]any
	_ = json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &unverified)
	if len(jws.Signatures) != 1 {
		return unverified, refuse("want one signature")
	}
	h := jws.Signatures[0].Header
	candidates, err := p.keys.lookup(ctx, h.KeyID)
	if err != nil {
		return unverified, refuse("%v", err)
	}
	var payload []byte
	for _, k := range candidates {
		if !usable(k, jose.SignatureAlgorithm(h.Algorithm)) {
			continue
		}
		if payload, err = jws.Verify(k.Key); err == nil {
			break
		}
		payload = nil
	}
	if payload == nil {
		return unverified, refuse("bad signature (key %q, %s)", h.KeyID, h.Algorithm)
	}
	var std jwt.Claims
	claims := map[string]any{}
	if err := json.Unmarshal(payload, &std); err != nil {
		return unverified, refuse("claims: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil {
		return unverified, refuse("claims: %v", err)
	}
	if std.Subject == "" {
		return claims, refuse("no sub claim")
	}
	if std.Expiry == nil {
		return claims, refuse("no exp claim: a token must expire")
	}
	err = std.ValidateWithLeeway(jwt.Expected{
		Issuer:      p.issuer,
		AnyAudience: jwt.Audience{p.audience},
		Time:        p.now(),
	}, oidcLeeway)
	switch {
	case errors.Is(err, jwt.ErrExpired):
		return claims, refuse("expired at %s", std.Expiry.Time().UTC().Format(time.RFC3339))
	case errors.Is(err, jwt.ErrNotValidYet):
		return claims, refuse("not valid before %s", std.NotBefore.Time().UTC().Format(time.RFC3339))
	case errors.Is(err, jwt.ErrIssuedInTheFuture):
		return claims, refuse("issued in the future (%s): is a clock wrong?", std.IssuedAt.Time().UTC().Format(time.RFC3339))
	case errors.Is(err, jwt.ErrInvalidAudience):
		return claims, refuse("audience %q, want %q: request the token for audience %q", []string(std.Audience), p.audience, p.audience)
	case err != nil:
		return claims, refuse("%s", strings.TrimPrefix(err.Error(), "go-jose/go-jose/jwt: "))
	}
	return claims, nil
}

// usable reports whether k may check a signature made with alg: a public
// signing key of alg's type and of a trustworthy size.
func usable(k jose.JSONWebKey, alg jose.SignatureAlgorithm) bool {
	if k.Use != "" && k.Use != "sig" {
		return false
	}
	if k.Algorithm != "" && k.Algorithm != string(alg) {
		return false
	}
	switch pub := k.Key.(type) {
	case *rsa.PublicKey:
		return alg == jose.RS256 && pub.N.BitLen() >= minRSABits
	case *ecdsa.PublicKey:
		return alg == jose.ES256 && pub.Curve == elliptic.P256()
	}
	return false // private keys, symmetric keys: not something an issuer publishes
}

// unverifiedIssuer peeks at the iss of what looks like a compact JWS,
// without verifying anything: it only routes the password to a verifier.
// An empty signature (alg "none") is still a token from the issuer's
// name, to be refused and logged as such rather than passed on.
func unverifiedIssuer(token string) (string, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return "", false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", false
	}
	var c struct {
		Issuer string `json:"iss"`
	}
	if json.Unmarshal(payload, &c) != nil {
		return "", false
	}
	return c.Issuer, true
}

// jwksCache holds the issuer's key set. Known keys are looked up without a
// lock; a fetch happens at the first token, when a token names a key not
// in the set (the issuer rotated its keys), or when the set is older than
// jwksMaxAge, and never more than once per jwksRefetch, whether it
// succeeds or not.
type jwksCache struct {
	fetch func(context.Context) (*jose.JSONWebKeySet, error)
	where string // the URL or file, for messages
	now   func() time.Time
	log   *slog.Logger

	cur atomic.Pointer[jwksState]
	mu  sync.Mutex // one fetch at a time; held while fetching
}

type jwksState struct {
	set       *jose.JSONWebKeySet // nil until a fetch succeeds
	fetched   time.Time           // when set was fetched
	attempted time.Time           // last fetch, successful or not
	err       error               // of the last fetch
}

func (c *jwksCache) store(set *jose.JSONWebKeySet, at time.Time) {
	c.cur.Store(&jwksState{set: set, fetched: at, attempted: at})
}

// lookup returns the keys with ID kid (every key when kid is empty).
func (c *jwksCache) lookup(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	if keys := c.cur.Load().find(kid, c.now()); keys != nil {
		return keys, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	s := c.cur.Load()
	if keys := s.find(kid, now); keys != nil {
		return keys, nil // another request just fetched them
	}
	if s == nil || now.Sub(s.attempted) >= jwksRefetch {
		s = c.refresh(ctx, s, now)
	}
	if s.set == nil {
		return nil, fmt.Errorf("the issuer's keys are not available (%v); retrying within a minute", s.err)
	}
	keys := keysWithID(s.set, kid)
	if len(keys) == 0 {
		return nil, fmt.Errorf("signed with key %q, which is not among the issuer's keys (%s)", kid, c.where)
	}
	return keys, nil
}

// refresh fetches the set; on failure it keeps the previous one, which
// is still the best there is.
func (c *jwksCache) refresh(ctx context.Context, prev *jwksState, now time.Time) *jwksState {
	// The fetch serves every request waiting for it, not just this one:
	// this client hanging up must not cancel it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jwksTimeout)
	defer cancel()
	set, err := c.fetch(ctx)
	var s jwksState
	if err != nil {
		c.log.Warn("trusted publishing: fetching the issuer's keys failed", "jwks", c.where, "err", err)
		if prev != nil {
			s = *prev
		}
		s.attempted, s.err = now, err
	} else {
		c.log.Info("trusted publishing: fetched the issuer's keys", "jwks", c.where, "keys", len(set.Keys))
		s = jwksState{set: set, fetched: now, attempted: now}
	}
	c.cur.Store(&s)
	return &s
}

// find returns kid's keys from a fresh set, or nil when a fetch is due.
func (s *jwksState) find(kid string, now time.Time) []jose.JSONWebKey {
	if s == nil || s.set == nil || now.Sub(s.fetched) >= jwksMaxAge {
		return nil
	}
	return keysWithID(s.set, kid)
}

func keysWithID(set *jose.JSONWebKeySet, kid string) []jose.JSONWebKey {
	if kid == "" {
		return slices.Clone(set.Keys)
	}
	return set.Key(kid)
}

func parseJWKS(data []byte) (*jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("not a JWKS: %w", err)
	}
	if len(set.Keys) == 0 {
		return nil, errors.New("the JWKS has no keys")
	}
	return &set, nil
}

func fetchJWKS(ctx context.Context, client *http.Client, u string) (*jose.JSONWebKeySet, error) {
	data, err := getJSON(ctx, client, u)
	if err != nil {
		return nil, err
	}
	set, err := parseJWKS(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	return set, nil
}

// discoverJWKS reads the issuer's OpenID configuration for its jwks_uri,
// then the key set there.
func discoverJWKS(ctx context.Context, client *http.Client, issuer string) (*jose.JSONWebKeySet, error) {
	u := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	data, err := getJSON(ctx, client, u)
	if err != nil {
		return nil, err
	}
	var conf struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(data, &conf); err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	// OpenID Connect Discovery §4.3: a configuration naming another
	// issuer is not this issuer's.
	if conf.Issuer != issuer {
		return nil, fmt.Errorf("%s: issuer %q, want %q", u, conf.Issuer, issuer)
	}
	if err := checkFetchURL(conf.JWKSURI); err != nil {
		return nil, fmt.Errorf("%s: jwks_uri: %w", u, err)
	}
	return fetchJWKS(ctx, client, conf.JWKSURI)
}

func getJSON(ctx context.Context, client *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKS+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if len(data) > maxJWKS {
		return nil, fmt.Errorf("GET %s: more than %d bytes", u, maxJWKS)
	}
	return data, nil
}

// checkFetchURL refuses to fetch keys over plain HTTP except from this
// machine: whoever could alter them in transit could log in as any
// publisher.
func checkFetchURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	if u.Scheme == "http" {
		host := u.Hostname()
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("%q: keys are fetched over https only (plain http only from this machine)", s)
		}
	}
	return nil
}
