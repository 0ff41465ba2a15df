// Package proxy serves the OCI distribution API (/v2/) by streaming every
// request to an existing registry, so that clients pulling through mpakd are
// counted while the upstream keeps storing, authenticating and authorising.
//
// The proxy is transparent to authentication: Authorization headers go
// upstream unchanged and WWW-Authenticate challenges come back unchanged, so
// a client fetches its tokens from the upstream's own realm and presents
// them here. mpakd never holds registry credentials.
//
// Bodies are never buffered: blobs stream through a fixed-size buffer in
// both directions, and a redirect to a blob store (3xx with a Location on
// another host) reaches the client as it is.
package proxy

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
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
		},
		Transport: rt,
		// -1 flushes after every write: a client sees bytes as soon as the
		// upstream sends them, and nothing accumulates here.
		FlushInterval:  -1,
		BufferPool:     bufferPool{},
		ModifyResponse: func(resp *http.Response) error { rewriteResponse(resp, &target); return nil },
		ErrorHandler:   errorHandler(&target, log),
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
		// Clients' own credentials pass through; credentials here would
		// be sent by nobody and would leak into logs.
		return fmt.Errorf("proxy: upstream %q carries credentials: remove them; clients authenticate with their own", u.Redacted())
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
