// Package proxy serves the OCI distribution API (/v2/) by streaming every
// request to an existing registry, so that clients pulling through mpakd are
// counted while the upstream keeps storing the bundles.
//
// Authentication works in one of two modes.
//
// Transparent (the default, mpakd without its own authentication):
// Authorization headers go upstream unchanged and WWW-Authenticate
// challenges come back unchanged, so a client fetches its tokens from the
// upstream's own realm and presents them here; the upstream alone decides
// who may do what, and the proxy sends no credentials of its own.
//
// As mpakd (Options.Credentials set, when mpakd authenticates and
// authorises its clients itself): the client's Authorization and Cookie
// headers never leave mpakd, and every request goes upstream with mpakd's
// own credentials, answering the upstream's Basic or Bearer challenge and
// caching tokens per repository scope. A refusal of those credentials is
// mpakd's operator's to fix, so the client gets a 502 that says so rather
// than the upstream's challenge, which would send it to a realm it has no
// business with.
//
// Bodies are never buffered: blobs stream through a fixed-size buffer in
// both directions, and a redirect to a blob store (3xx with a Location on
// another host) reaches the client as it is. With mpakd's credentials, a
// body cannot be resent after a challenge, so the credential for its scope
// is fetched ahead with a body-less request; should the upstream still
// refuse it once the body is under way (an expired token), the client is
// answered 503 and asked to retry.
package proxy

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"

	"oras.land/oras-go/v2/registry/remote/auth"
)

// UserAgentToken is appended to the User-Agent of every request the proxy
// sends upstream, so the upstream's pull notifications show which pulls
// went through mpakd (and were counted here already).
const UserAgentToken = "mpakd-proxy"

// Options configures the proxy.
type Options struct {
	// Transport carries requests upstream; default: NewTransport(), which
	// reuses connections and bounds connection setup but not transfers.
	Transport http.RoundTripper
	// Logger receives upstream failures; default slog.Default().
	Logger *slog.Logger
	// Credentials, when set, makes the proxy talk to the upstream as
	// mpakd with the credential it returns for the upstream's host,
	// instead of passing clients' credentials through (see the package
	// documentation). It is called when a credential must be fetched,
	// not on every request.
	Credentials auth.CredentialFunc
}

// New returns a handler that forwards /v2/ and everything under it to
// upstream, a registry's base URL such as https://registry.example.
func New(upstream *url.URL, opts Options) (http.Handler, error) {
	if err := checkUpstream(upstream); err != nil {
		return nil, err
	}
	// A copy: the caller may reuse its URL, and Rewrite reads it on every request.
	target := *upstream
	target.Path, target.RawPath = "", ""
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	rt := opts.Transport
	if rt == nil {
		rt = NewTransport()
	}
	asSelf := opts.Credentials != nil
	if asSelf {
		rt = newAsMpakd(&target, rt, opts.Credentials)
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			// SetURL also sets the Host header to the upstream's: virtual
			// hosts and TLS (SNI) upstream answer to their own name.
			pr.SetURL(&target)
			// Registries build upload Locations from X-Forwarded-Host and
			// -Proto when they honour them; rewriteResponse covers those that
			// do not. Rewrite has already dropped the client's own
			// X-Forwarded-* headers, so they cannot be spoofed through us.
			pr.SetXForwarded()
			pr.Out.Header.Set("User-Agent", strings.TrimSpace(pr.In.UserAgent()+" "+UserAgentToken))
			if asSelf {
				// The client authenticated to mpakd, not to the upstream:
				// its credentials and session are not the upstream's to see.
				pr.Out.Header.Del("Authorization")
				pr.Out.Header.Del("Cookie")
			}
		},
		Transport: rt,
		// -1 flushes after every write: a client sees bytes as soon as the
		// upstream sends them, and nothing accumulates here.
		FlushInterval: -1,
		BufferPool:    bufferPool{},
		ModifyResponse: func(resp *http.Response) error {
			rewriteResponse(resp, &target)
			if asSelf {
				// A challenge would send the client to the upstream's realm,
				// and a cookie would be a session of mpakd's account there.
				resp.Header.Del("WWW-Authenticate")
				resp.Header.Del("Set-Cookie")
			}
			return nil
		},
		ErrorHandler: errorHandler(&target, log),
		// Errors copying a body after the status was sent (a client gone
		// mid-blob) can only be logged.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	return onlyV2(rp), nil
}

// checkUpstream refuses URLs the proxy could not forward to faithfully.
func checkUpstream(u *url.URL) error {
	switch {
	case u == nil:
		return errors.New("proxy: upstream URL is nil: pass the registry's base URL, e.g. https://registry.example")
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("proxy: upstream %q: scheme must be http or https, e.g. https://registry.example", u.Redacted())
	case u.Host == "":
		return fmt.Errorf("proxy: upstream %q has no host: pass the registry's base URL, e.g. https://registry.example", u.Redacted())
	case u.User != nil:
		// Credentials here would be sent by nobody and would leak into
		// logs: mpakd's come from Options.Credentials.
		return fmt.Errorf("proxy: upstream %q carries credentials: remove them; clients authenticate with their own, or mpakd with --upstream-username and MPAKD_UPSTREAM_PASSWORD", u.Redacted())
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.Fragment != "":
		// The distribution API lives at /v2/ of the host; a registry under
		// a path prefix is not an OCI registry to its clients either.
		return fmt.Errorf("proxy: upstream %q has a path, query or fragment: pass only scheme://host[:port]", u.Redacted())
	}
	return nil
}

// onlyV2 keeps the proxy to the distribution API: anything else mounted
// next to it (mpakd's own APIs) must not leak upstream by accident.
func onlyV2(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v2" && !strings.HasPrefix(r.URL.Path, "/v2/") {
			writeError(w, http.StatusNotFound, "NOT_FOUND", "the upstream proxy serves only the OCI distribution API under /v2/")
			return
		}
		next.ServeHTTP(w, r)
	})
}
