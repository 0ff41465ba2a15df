package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/mpak-oci/mpak/registry/internal/ociapi"
)

// MiddlewareOptions configures Middleware.
type MiddlewareOptions struct {
	// Files holds the users and the policy. Required.
	Files *Files
	// Authenticator checks Basic credentials (default: Files, the
	// htpasswd users; mpakd chains robot tokens and OIDC tokens first).
	Authenticator Authenticator
	// Tokens verifies bearer tokens. Required.
	Tokens *Tokens
	// Realm is the token endpoint's URL for the challenge; "" derives
	// it from each request (scheme and host, path /token), which suits a
	// server reached under one name.
	Realm string
	// Service names this registry in challenges and tokens.
	Service string
	// Logger receives the audit log: every write and every refusal.
	Logger *slog.Logger
}

// Middleware authenticates every request to the OCI API (/v2/) and lets
// through those the policy allows: a bearer token from the token endpoint
// must carry the access the request needs; Basic credentials and
// anonymous requests are judged by the policy directly. A request that
// lacks access is answered 401 with a challenge naming the scope it needs
// (so clients fetch a token for it and retry), or 403 when the credentials
// are good and the policy still says no.
func Middleware(next http.Handler, opts MiddlewareOptions) http.Handler {
	return NewAuthorizer(opts).Middleware(next)
}

// Authorizer judges requests: the OCI API's through Middleware, the
// catalog's (JSON API, web UI) through Readable.
type Authorizer struct {
	opts     MiddlewareOptions
	verified *lru.Cache[string, *Claims]
}

// NewAuthorizer checks the options; Files and Tokens are required.
func NewAuthorizer(opts MiddlewareOptions) *Authorizer {
	if opts.Files == nil || opts.Tokens == nil {
		panic("auth.NewAuthorizer: Options.Files and Options.Tokens are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Authenticator == nil {
		opts.Authenticator = opts.Files
	}
	verified, _ := lru.New[string, *Claims](verifiedTokens)
	return &Authorizer{opts: opts, verified: verified}
}

// Middleware is the OCI API behind the policy (see the package function).
func (a *Authorizer) Middleware(next http.Handler) http.Handler {
	return &middleware{Authorizer: a, next: next}
}

// Readable is, for the catalogs, whether the request's client may read a
// repository: by its bearer token's access, or by the policy for Basic
// credentials and anonymous requests (wrong credentials read as
// anonymous). The catalogs then list, search and show only those.
func (a *Authorizer) Readable(r *http.Request) func(repository string) bool {
	who, g, err := a.authenticate(r)
	policy := a.opts.Files.Policy()
	if err != nil {
		return policy.Readable(Principal{})
	}
	if !g.fromToken {
		return policy.Readable(who)
	}
	anonymous := policy.Readable(Principal{})
	return func(repository string) bool {
		return anonymous(repository) || g.allows(need{repository: repository, action: ActionRead})
	}
}

// grantedKey carries a request's granted access in its context.
type grantedKey struct{}

// Allowed reports whether the request whose context this is was granted
// action on repository by Middleware. False when no Middleware judged it:
// callers use it for rights nobody has without authentication, such as
// deleting a published version.
func Allowed(ctx context.Context, repository string, action Action) bool {
	g, _ := ctx.Value(grantedKey{}).(*granted)
	return g.allows(need{repository: repository, action: action})
}

// verifiedTokens bounds the tokens remembered as verified. A client
// presents the same token on every request of a pull until it expires,
// and an ECDSA verification costs more than the rest of the request's
// checks together.
const verifiedTokens = 4096

type middleware struct {
	*Authorizer
	next http.Handler
}

// verify is Tokens.Verify, remembering tokens that verified until they
// expire.
func (m *Authorizer) verify(token string) (*Claims, error) {
	if c, ok := m.verified.Get(token); ok {
		if time.Now().Before(c.Expiry) {
			return c, nil
		}
		m.verified.Remove(token)
	}
	c, err := m.opts.Tokens.Verify(token)
	if err != nil {
		return nil, err
	}
	m.verified.Add(token, c)
	return c, nil
}

// need is what a request needs: an action on a repository, or (repository
// "") only to be authenticated, as the API's base does.
type need struct {
	repository string
	action     Action
}

func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n, ok := needOf(r)
	if !ok {
		m.next.ServeHTTP(w, r)
		return
	}
	who, grants, err := m.authenticate(r)
	if err != nil {
		m.audit(r, who, n, "refused", err.Error())
		m.challenge(w, r, n, "UNAUTHORIZED", err.Error())
		return
	}
	if n.repository == "" {
		// The base /v2/ answers to any valid credentials, an anonymous
		// token included; a request with none is sent to the token
		// endpoint, which is how clients learn where it is.
		if who.Anonymous() && !grants.fromToken {
			m.challenge(w, r, n, "UNAUTHORIZED", "authentication required: log in (docker, oras, crane, regctl or mpak login), or fetch an anonymous token from the realm")
			return
		}
		if strings.HasPrefix(r.URL.Path, "/v2/_catalog") {
			m.catalog(w, r, who)
			return
		}
		m.next.ServeHTTP(w, r)
		return
	}
	if !grants.allows(n) {
		denied := fmt.Sprintf("%s may not %s %s: the policy grants %s there; ask an administrator", who.Name, n.action, n.repository,
			describeActions(m.opts.Files.Policy().Actions(who, n.repository)))
		switch {
		case who.Anonymous():
			m.audit(r, who, n, "challenged", "")
			m.challenge(w, r, n, "UNAUTHORIZED", fmt.Sprintf("%s access to %s needs credentials that grant it: log in, or ask for the scope %s", n.action, n.repository, scopeOf(n)))
		case grants.fromToken:
			// The token may predate a grant: the challenge lets the client
			// ask for the scope again, and it gets what the policy allows.
			m.audit(r, who, n, "challenged", "the token does not carry it")
			m.challenge(w, r, n, "UNAUTHORIZED", denied)
		default:
			m.audit(r, who, n, "refused", "the policy does not grant it")
			ociapi.WriteError(w, http.StatusForbidden, ociapi.CodeDenied, denied, nil)
		}
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), grantedKey{}, grants))
	if from := r.URL.Query().Get("from"); from != "" && !m.opts.Files.Policy().Allowed(who, from, ActionRead) {
		// A cross-repository mount would copy a blob of a repository
		// this client may not read: it becomes a plain upload instead.
		q := r.URL.Query()
		q.Del("mount")
		q.Del("from")
		r.URL.RawQuery = q.Encode()
	}
	if n.action == ActionRead {
		m.next.ServeHTTP(w, r)
		return
	}
	// A write is audited once answered, with what the registry made of
	// it: the digest it stored or deleted, or its refusal (an overwrite
	// of a published version is refused below this layer).
	rec := &statusWriter{ResponseWriter: w, code: http.StatusOK}
	m.next.ServeHTTP(rec, r)
	if uploadStep(r) {
		return // the upload's final PUT is audited, with the blob's digest
	}
	outcome, reason := "allowed", ""
	if rec.code >= 400 {
		outcome, reason = "rejected", "the registry answered "+strconv.Itoa(rec.code)
	}
	digest := w.Header().Get("Docker-Content-Digest")
	if digest == "" {
		digest = r.URL.Query().Get("digest")
	}
	m.audit(r, who, n, outcome, reason, "status", rec.code, "digest", digest)
}

// uploadStep is a request that starts or continues a blob upload without
// finishing it: a chunk says nothing an auditor needs.
func uploadStep(r *http.Request) bool {
	return strings.Contains(r.URL.Path, "/blobs/uploads") && r.URL.Query().Get("digest") == "" &&
		(r.Method == http.MethodPost || r.Method == http.MethodPatch)
}

// statusWriter remembers the status written through it.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (flushes,
// deadlines) through the wrapper.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// catalog answers /v2/_catalog with the repositories who may read.
func (m *middleware) catalog(w http.ResponseWriter, r *http.Request, who Principal) {
	held := ociapi.Hold(w)
	m.next.ServeHTTP(held, r)
	if held.Status() == http.StatusOK {
		body := catalogFilter(held.Body(), m.opts.Files.Policy().Readable(who))
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.WriteHeader(http.StatusOK)
		w.Write(body)
		return
	}
	held.Send()
}

// granted is what a request's credentials allow.
type granted struct {
	// fromToken: the access a bearer token carries; else the policy's
	// for the principal.
	fromToken bool
	access    []Access
	policy    *Policy
	who       Principal
}

func (g *granted) allows(n need) bool {
	if g == nil {
		return false
	}
	if !g.fromToken {
		return g.policy.Allowed(g.who, n.repository, n.action)
	}
	for _, a := range g.access {
		if a.Type == "repository" && a.Name == n.repository && slices.Contains(ActionsOf(a.Actions), n.action) {
			return true
		}
	}
	return false
}

// authenticate reads the request's credentials: a bearer token, Basic
// credentials, or none. Bad credentials are an error; none is anonymous.
func (m *Authorizer) authenticate(r *http.Request) (Principal, *granted, error) {
	h := r.Header.Get("Authorization")
	policy := m.opts.Files.Policy()
	switch {
	case strings.HasPrefix(h, "Bearer "):
		c, err := m.verify(strings.TrimPrefix(h, "Bearer "))
		if err != nil {
			return Principal{}, nil, fmt.Errorf("the bearer token is not valid (%v): fetch a new one", err)
		}
		who := Principal{Name: c.Subject}
		return who, &granted{fromToken: true, access: c.Access, who: who}, nil
	case h != "":
		user, pass, ok := r.BasicAuth()
		if !ok {
			return Principal{}, nil, errors.New("unsupported Authorization scheme: use Bearer tokens from the realm, or Basic credentials")
		}
		who, err := m.opts.Authenticator.Authenticate(r, user, pass)
		if err != nil {
			return Principal{Name: user}, nil, fmt.Errorf("wrong credentials for %s: %v", user, err)
		}
		return who, &granted{policy: policy, who: who}, nil
	}
	return Principal{}, &granted{policy: policy}, nil
}

// challenge answers 401 with the Bearer challenge for n.
func (m *middleware) challenge(w http.ResponseWriter, r *http.Request, n need, code, message string) {
	c := fmt.Sprintf(`Bearer realm=%q,service=%q`, m.realm(r), m.opts.Service)
	if n.repository != "" {
		c += fmt.Sprintf(`,scope=%q`, scopeOf(n))
	}
	w.Header().Set("WWW-Authenticate", c)
	ociapi.WriteError(w, http.StatusUnauthorized, code, message, nil)
}

func (m *middleware) realm(r *http.Request) string {
	if m.opts.Realm != "" {
		return m.opts.Realm
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return (&url.URL{Scheme: scheme, Host: r.Host, Path: "/token"}).String()
}

func (m *middleware) audit(r *http.Request, who Principal, n need, outcome, reason string, more ...any) {
	user := who.Name
	if who.Anonymous() {
		user = "anonymous"
	}
	args := []any{"outcome", outcome, "user", user, "action", string(n.action), "repository", n.repository,
		"method", r.Method, "path", r.URL.Path, "reason", reason, "remote", r.RemoteAddr}
	m.opts.Logger.Info("audit", append(args, more...)...)
}

// scopeOf is the Docker scope that grants n: a push needs pull too, as
// clients ask for it.
func scopeOf(n need) string {
	actions := DockerActions([]Action{n.action})
	if n.action == ActionPush {
		actions = []string{"pull", "push"}
	}
	return FormatScope(Access{Type: "repository", Name: n.repository, Actions: actions})
}

func describeActions(as []Action) string {
	if len(as) == 0 {
		return "nothing"
	}
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

// needOf says what an OCI API request needs; ok is false outside /v2/.
func needOf(r *http.Request) (need, bool) {
	p := r.URL.Path
	if p != "/v2" && !strings.HasPrefix(p, "/v2/") {
		return need{}, false
	}
	action := ActionRead
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodDelete:
		action = ActionDelete
	default:
		action = ActionPush
	}
	for _, sep := range []string{"/manifests/", "/blobs/", "/referrers/", "/tags/"} {
		if name, _, ok := ociapi.SplitPath(p, sep); ok {
			return need{repository: name, action: action}, true
		}
	}
	// Blob uploads: /v2/<name>/blobs/uploads/ (POST) and .../uploads/<id>.
	if i := strings.Index(p, "/blobs/uploads"); i > len("/v2/") {
		return need{repository: p[len("/v2/"):i], action: ActionPush}, true
	}
	return need{}, true // the base, the catalog
}

// catalogFilter keeps, of distribution's _catalog page, the repositories
// who may read.
func catalogFilter(body []byte, readable func(string) bool) []byte {
	var page struct {
		Repositories []string `json:"repositories"`
	}
	if json.Unmarshal(body, &page) != nil {
		return body
	}
	page.Repositories = slices.DeleteFunc(page.Repositories, func(r string) bool { return !readable(r) })
	out, err := json.Marshal(page)
	if err != nil {
		return body
	}
	return out
}
