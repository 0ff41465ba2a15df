package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"

	"github.com/mpak-oci/mpak/registry/internal/ociapi"
)

// tokenFresh is how long after its fetch a bearer token is trusted for a
// body that cannot be sent twice. The token spec has tokens live at least
// 60 s (the default of expires_in); registries check the token when the
// request's headers arrive, before reading the body, so 15 s of margin
// covers the trip there however long the body then takes.
const tokenFresh = 45 * time.Second

// asMpakd carries requests upstream with mpakd's credentials, through
// oras-go's auth client: it answers the upstream's Basic or Bearer
// challenges and caches what it fetched, tokens per scope.
//
// oras-go retries a challenged request with the credential, which needs
// the body again (Request.GetBody). A client's upload streams through
// once, so before such a body goes out asMpakd makes sure the credential
// for the request's scope is at hand (see ready).
type asMpakd struct {
	base   *url.URL // the upstream, scheme://host[:port]
	host   string   // base.Host: oras-go's cache key
	client *auth.Client
	cache  *tokenCache
	// open records that the upstream let mpakd in without any challenge,
	// so bodies need no credential fetched ahead. Consulted only while
	// no scheme is cached: a challenge later caches one.
	open atomic.Bool
}

func newAsMpakd(upstream *url.URL, rt http.RoundTripper, cred auth.CredentialFunc) *asMpakd {
	cache := &tokenCache{Cache: auth.NewCache(), fetched: map[string]time.Time{}}
	return &asMpakd{
		base:  upstream,
		host:  upstream.Host,
		cache: cache,
		client: &auth.Client{
			Client:     &http.Client{Transport: rt, CheckRedirect: passRedirects},
			Cache:      cache,
			Credential: cred,
		},
	}
}

// proxiedKey marks, in a request's context, the URL of the request the
// proxy forwards.
type proxiedKey struct{}

// passRedirects hands a redirect of a forwarded request (to a blob store)
// to the client as it is, as the transparent proxy does; oras-go's own
// requests (to the token realm) follow redirects as usual.
func passRedirects(req *http.Request, via []*http.Request) error {
	if u, _ := via[0].Context().Value(proxiedKey{}).(string); u == via[0].URL.String() {
		return http.ErrUseLastResponse
	}
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	return nil
}

func (t *asMpakd) RoundTrip(req *http.Request) (*http.Response, error) {
	n := needOf(req)
	ctx := auth.WithScopesForHost(req.Context(), t.host, n.scopes...)
	ctx = context.WithValue(ctx, proxiedKey{}, req.URL.String())
	out := req.WithContext(ctx)
	// http.Client refuses requests that carry a server's RequestURI, as
	// ReverseProxy's copy of the client's request does.
	out.RequestURI = ""
	basic := false
	if out.Body != nil && out.Body != http.NoBody && out.GetBody == nil {
		if err := t.ready(ctx, n); err != nil {
			return nil, err
		}
		b := &onceBody{ReadCloser: out.Body}
		out.Body, out.GetBody = b, b.again
		scheme, err := t.cache.GetScheme(ctx, t.host)
		basic = err == nil && scheme == auth.SchemeBasic
	}
	resp, err := t.client.Do(out)
	if err != nil {
		if basic && errors.Is(err, errBodyStreamed) {
			// Basic credentials do not expire: refused once, they are
			// refused again, and a retry would only repeat the upload.
			return nil, &refusedError{upstream: t.base.Redacted(), status: http.StatusUnauthorized, need: n,
				detail: "it answered 401 Unauthorized to them"}
		}
		return nil, t.classify(err, n)
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return nil, t.refused(resp, n)
	}
	return resp, nil
}

// ready fetches ahead the credential a body-carrying request will need,
// unless one is cached: oras-go would otherwise meet the challenge with
// the body already spent. It sends body-less requests with the same scope
// hints in the context, so that oras-go caches the token under the very
// key the real request looks up: the scopes of the context, joined (the
// base /v2/ is challenged without a scope of its own, so nothing is merged
// in). The base is tried first because token registries challenge every
// request to it that has no token, even where anonymous pulls are allowed;
// the repository's tag list next, for registries whose base is open but
// whose private repositories are not.
func (t *asMpakd) ready(ctx context.Context, n need) error {
	if t.haveCredential(ctx) {
		return nil
	}
	fresh := context.WithValue(ctx, freshOnly{}, true)
	primers := []string{"/v2/"}
	if n.repository != "" {
		primers = append(primers, "/v2/"+n.repository+"/tags/list")
	}
	for _, p := range primers {
		u := *t.base
		u.Path = p
		req, err := http.NewRequestWithContext(fresh, http.MethodGet, u.String(), nil)
		if err != nil {
			return err
		}
		resp, err := t.client.Do(req)
		if err != nil {
			return t.classify(err, n)
		}
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			return t.refused(resp, n)
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if t.haveCredential(ctx) {
			return nil
		}
	}
	if _, err := t.cache.GetScheme(ctx, t.host); err != nil {
		t.open.Store(true)
	}
	// No primer was challenged for this scope: the request goes as it
	// is, and should the upstream challenge it, the client is asked to
	// retry (retryError) once oras-go has fetched the credential.
	return nil
}

// haveCredential reports whether oras-go will attach a credential to a
// request with ctx's scopes without asking the upstream first: it looks
// the token up exactly as auth.Client.Do does, by the host and the
// context's scopes for it, joined with spaces.
func (t *asMpakd) haveCredential(ctx context.Context) bool {
	scheme, err := t.cache.GetScheme(ctx, t.host)
	if err != nil {
		return t.open.Load()
	}
	switch scheme {
	case auth.SchemeBasic:
		_, err = t.cache.GetToken(ctx, t.host, scheme, "")
	case auth.SchemeBearer:
		key := strings.Join(auth.GetAllScopesForHost(ctx, t.host), " ")
		_, err = t.cache.GetToken(context.WithValue(ctx, freshOnly{}, true), t.host, scheme, key)
	default:
		return true // oras-go answers no other scheme: there is nothing to fetch
	}
	return err == nil
}

// errBodyStreamed is what the body of a forwarded request answers when
// asked to start over after part of it went upstream: oras-go asks after
// a 401, to resend the request with a fresh credential.
var errBodyStreamed = errors.New("the request body was already streamed upstream and cannot be sent again")

// onceBody is a client's request body, which can be sent again only as
// long as none of it has been read.
type onceBody struct {
	io.ReadCloser
	read atomic.Bool
}

func (b *onceBody) Read(p []byte) (int, error) {
	b.read.Store(true)
	return b.ReadCloser.Read(p)
}

// Close leaves the body open for a second attempt; ReverseProxy owns the
// client's body and ends it.
func (b *onceBody) Close() error { return nil }

// again is the request's GetBody. An unread body is still whole (an
// upstream that answered 401 to "Expect: 100-continue", an HTTP/2
// connection found unusable before the stream began).
func (b *onceBody) again() (io.ReadCloser, error) {
	if b.read.Load() {
		return nil, errBodyStreamed
	}
	return b, nil
}

// classify turns what oras-go's client returned into the error the
// client is answered with.
func (t *asMpakd) classify(err error, n need) error {
	var resp *errcode.ErrorResponse
	switch {
	case errors.As(err, &resp) && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden):
		// The token realm refused mpakd's credentials.
		detail := ""
		if len(resp.Errors) > 0 {
			detail = resp.Errors.Error()
		}
		return &refusedError{upstream: t.base.Redacted(), status: resp.StatusCode, need: n, detail: "the token service answered " + withDetail(resp.StatusCode, detail)}
	case errors.Is(err, auth.ErrBasicCredentialNotFound):
		return &refusedError{upstream: t.base.Redacted(), status: http.StatusUnauthorized, need: n, none: true}
	case errors.Is(err, errBodyStreamed):
		return &retryError{upstream: t.base.Redacted(), need: n, err: err}
	}
	return err
}

// refused reads the upstream's 401 or 403 into the error the client is
// answered with; the response itself, with a challenge for the upstream's
// realm, must not reach the client.
func (t *asMpakd) refused(resp *http.Response, n need) error {
	defer resp.Body.Close()
	var body struct {
		Errors []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	var msgs []string
	if json.NewDecoder(io.LimitReader(resp.Body, 16<<10)).Decode(&body) == nil {
		for _, e := range body.Errors {
			msgs = append(msgs, strings.TrimSpace(e.Code+": "+e.Message))
		}
	}
	return &refusedError{upstream: t.base.Redacted(), status: resp.StatusCode, need: n,
		detail: "it answered " + withDetail(resp.StatusCode, strings.Join(msgs, "; "))}
}

func withDetail(status int, detail string) string {
	s := fmt.Sprintf("%d %s", status, http.StatusText(status))
	if detail != "" {
		s += ": " + detail
	}
	return s
}

// refusedError is the upstream refusing mpakd's credentials, or what they
// may do there. It is the operator's to fix, never the client's: the
// client is answered 502 with no challenge.
type refusedError struct {
	upstream string
	status   int
	need     need
	detail   string
	none     bool // mpakd has no credentials for the upstream at all
}

func (e *refusedError) Error() string {
	if e.none {
		return fmt.Sprintf("upstream registry %s asks for credentials to %s and mpakd has none for it: "+
			"set --upstream-username with MPAKD_UPSTREAM_PASSWORD, or log in to it in the docker config mpakd reads", e.upstream, e.need)
	}
	may := ""
	if e.need.action != "" {
		may = ", and that it may " + e.need.action + " there"
	}
	return fmt.Sprintf("upstream registry %s refused mpakd's credentials to %s (%s): check that --upstream-username and "+
		"MPAKD_UPSTREAM_PASSWORD (or the docker config mpakd reads) hold a login the upstream accepts%s",
		e.upstream, e.need, e.detail, may)
}

// retryError is a body the upstream challenged after it had started to
// stream: typically mpakd's token expired on the way. oras-go has fetched
// a new credential by then, so the client's retry goes through.
type retryError struct {
	upstream string
	need     need
	err      error
}

func (e *retryError) Error() string {
	return fmt.Sprintf("upstream registry %s asked for mpakd's credentials again after the request body to %s had started streaming "+
		"(mpakd's token had expired, or does not grant %s), and a streamed body cannot be sent twice: mpakd has fetched a new token, so retry; "+
		"if it fails the same way, mpakd's upstream credentials (--upstream-username and MPAKD_UPSTREAM_PASSWORD, or the docker config) lack %s there",
		e.upstream, e.need, e.need.action, e.need.action)
}

func (e *retryError) Unwrap() error { return e.err }

// need is what a request asks of the upstream: the scopes of the token
// it needs, and in words, for messages.
type need struct {
	repository string
	action     string // pull, push, delete; "" for the base and the catalog
	scopes     []string
}

func (n need) String() string {
	switch {
	case n.repository != "":
		return n.action + " " + n.repository
	case len(n.scopes) > 0:
		return "list the catalog"
	}
	return "reach the registry"
}

// needOf names the scopes a request needs, as distribution and mpakd's
// own token service do: pull to read, pull and push to write (clients
// ask for both), delete to delete; a mount also reads its source. An
// upload's status (GET) is asked with push as well: mpakd requires it,
// and distribution's pull is part of it.
func needOf(r *http.Request) need {
	p := r.URL.Path
	if strings.HasPrefix(p, "/v2/_catalog") {
		return need{scopes: []string{auth.ScopeRegistryCatalog}}
	}
	var name string
	for _, sep := range []string{"/manifests/", "/blobs/", "/referrers/"} {
		if n, _, ok := ociapi.SplitPath(p, sep); ok {
			name = n
			break
		}
	}
	upload := false
	if i := strings.Index(p, "/blobs/uploads"); name == "" && i > len("/v2/") {
		name, upload = p[len("/v2/"):i], true
	}
	if n, ok := strings.CutSuffix(p, "/tags/list"); name == "" && ok && len(n) > len("/v2/") {
		name = n[len("/v2/"):]
	}
	if name == "" || !strings.HasPrefix(p, "/v2/") {
		return need{}
	}
	n := need{repository: name, action: auth.ActionPush}
	switch {
	case r.Method == http.MethodDelete:
		n.action = auth.ActionDelete
	case (r.Method == http.MethodGet || r.Method == http.MethodHead) && !upload:
		n.action = auth.ActionPull
	}
	switch n.action {
	case auth.ActionPush:
		n.scopes = []string{auth.ScopeRepository(name, auth.ActionPull, auth.ActionPush)}
		if from := r.URL.Query().Get("from"); from != "" {
			n.scopes = append(n.scopes, auth.ScopeRepository(from, auth.ActionPull))
		}
	default:
		n.scopes = []string{auth.ScopeRepository(name, n.action)}
	}
	return n
}

// freshOnly marks a context in which tokenCache hides bearer tokens older
// than tokenFresh.
type freshOnly struct{}

// tokenCache is oras-go's cache, remembering when each token was fetched
// so that a body that cannot be sent twice goes out with a token that
// will still be valid when it arrives. oras-go itself keeps a token until
// the upstream refuses it.
type tokenCache struct {
	auth.Cache
	mu      sync.Mutex
	fetched map[string]time.Time // by registry and scope key
}

func (c *tokenCache) GetToken(ctx context.Context, registry string, scheme auth.Scheme, key string) (string, error) {
	token, err := c.Cache.GetToken(ctx, registry, scheme, key)
	if err != nil || scheme != auth.SchemeBearer || ctx.Value(freshOnly{}) == nil {
		return token, err
	}
	c.mu.Lock()
	at := c.fetched[registry+" "+key]
	c.mu.Unlock()
	if time.Since(at) > tokenFresh {
		return "", errdef.ErrNotFound
	}
	return token, nil
}

func (c *tokenCache) Set(ctx context.Context, registry string, scheme auth.Scheme, key string, fetch func(context.Context) (string, error)) (string, error) {
	token, err := c.Cache.Set(ctx, registry, scheme, key, fetch)
	if err == nil && scheme == auth.SchemeBearer {
		c.mu.Lock()
		c.fetched[registry+" "+key] = time.Now()
		c.mu.Unlock()
	}
	return token, err
}
