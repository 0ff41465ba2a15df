// Package api serves mpakd's read-only HTTP APIs over the catalog: the
// mpak-shaped JSON API under /v1/bundles (what `mpak bundle search` and
// `mpak bundle show` read, encoded as the catalogapi types) and the
// read-only part of the official MCP Registry API under /v0.1/servers (and
// its development prefix /v0), so clients of the official registry can
// consume the catalog.
//
// Bundles are named the way the mpak client names them: @scope/name is the
// repository <namespace>/scope/name; other repositories are named by their
// path. MCP Registry server names are the publisher's
// io.modelcontextprotocol.server.name annotation, else derived from the
// configured public host and the repository (acme/weather on
// registry.example.com is com.example.registry.acme/weather; without a
// public host, localhost.acme/weather), never from the request's Host, so
// a name is the same however the server is reached (see derivedName).
//
// Downloads are never served here: the download endpoint redirects to the
// registry's blob URL on this server, where the pull is counted.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// Options configures the API.
type Options struct {
	// Store is the catalog read from; required.
	Store catalog.Store
	// Namespace is the registry path prefix @scope/name references map
	// under, as in MPAK_REGISTRY=host/namespace; "" maps @scope/name to
	// the repository scope/name.
	Namespace string
	// PublicHost is the host[:port] clients pull from, used in "reference"
	// fields and MCP package identifiers ("": each request's Host), and
	// as the namespace of derived MCP server names, which never depend on
	// the request ("" or a loopback host: DefaultServerNamespace).
	PublicHost string
	// Version is the server's version for /v0.1/version, as its binary
	// was stamped; "" reads the module version from the build
	// information.
	Version string
	// Logger receives failures of the store; nil logs to slog.Default.
	Logger *slog.Logger
	// Readable says, for a request, which repositories its client may
	// read (as auth.Authorizer.Readable does); the others are answered as
	// if they did not exist, in lists, counts and lookups alike. nil: all.
	Readable func(r *http.Request) func(repository string) bool
}

// New returns the handler of /v1/..., /v0.1/... and /v0/...; mount it at
// those three prefixes. Only GET and HEAD are served.
func New(opts Options) http.Handler { return newAPI(opts).routes() }

func newAPI(opts Options) *api {
	a := &api{
		store:         scoped{webLinks{opts.Store}},
		hits:          scoped{opts.Store},
		all:           opts.Store,
		readable:      opts.Readable,
		names:         names{namespace: strings.Trim(opts.Namespace, "/")},
		publicHost:    opts.PublicHost,
		serverNS:      serverNamespace(opts.PublicHost),
		serverVersion: opts.Version,
		log:           opts.Logger,
		now:           time.Now,
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.servers = newServerNames(a)
	return a
}

func (a *api) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/bundles/search", a.serve(a.search))
	mux.Handle("/v1/bundles/", a.serve(a.bundles))
	for _, prefix := range []string{"/v0.1", "/v0"} {
		mux.Handle(prefix+"/servers", a.serve(a.listServers))
		mux.Handle(prefix+"/servers/", a.serve(a.server))
		mux.Handle(prefix+"/version", a.serve(a.buildInfo))
		mux.Handle(prefix+"/health", a.serve(a.health))
		mux.Handle(prefix+"/", a.serve(func(_ http.ResponseWriter, r *http.Request) error {
			return notFound("no MCP Registry API endpoint at %s: see /v0.1/servers", r.URL.Path)
		}))
	}
	mux.Handle("/", a.serve(func(_ http.ResponseWriter, r *http.Request) error {
		return notFound("no API endpoint at %s: see /v1/bundles/search and /v0.1/servers", r.URL.Path)
	}))

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeErrorFor(w, r, &apiError{http.StatusMethodNotAllowed, codeMethodNotAllowed,
				r.Method + " is not supported: this API is read-only; publish with mpak bundle push"})
			return
		}
		// Everything here is read-only, and what a page on another origin
		// (catalog UIs, READMEs showing badges) reads is what anonymous
		// clients see (see Credentialed), so any origin may read it.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if a.readable != nil {
			// Answers depend on who asks: shared caches must key them by
			// the credentials and keep none of those given to a user.
			w.Header().Add("Vary", "Authorization")
			if r.Header.Get("Authorization") != "" {
				w.Header().Set("Cache-Control", "private")
			}
			r = r.WithContext(context.WithValue(r.Context(), readableKey{}, a.readable(Credentialed(r))))
		}
		mux.ServeHTTP(w, r)
	})
}

type api struct {
	// store is the catalog of the client whose request's context each
	// call is given; all is everything, for what is shared between
	// clients (the server-name table).
	store catalog.Store
	all   catalog.Store
	// hits is store without webLinks, for search pages alone: a hit shows
	// no address a publisher wrote (appendHit), so filtering them would
	// be work for nothing on the API's most frequent answer.
	hits       scoped
	readable   func(*http.Request) func(string) bool
	names      names
	publicHost string
	// serverNS is the namespace MCP server names are derived in, fixed
	// for the server's life (see serverNamespace).
	serverNS      string
	serverVersion string
	log           *slog.Logger
	servers       *serverNames
	now           func() time.Time // tests pin the day download series end on
}

// host is where clients reach this server's registry.
func (a *api) host(r *http.Request) string {
	if a.publicHost != "" {
		return a.publicHost
	}
	return r.Host
}

// scheme is how the request reached us. X-Forwarded-Proto is honoured
// because TLS usually ends at a proxy in front of mpakd; it only shapes the
// URLs we print, never a security decision.
func scheme(r *http.Request) string {
	switch strings.ToLower(r.Header.Get("X-Forwarded-Proto")) {
	case "https":
		return "https"
	case "http":
		return "http"
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// blobPath is a layer's URL path on the registry API of this server.
func blobPath(repository, digest string) string {
	return "/v2/" + repository + "/blobs/" + digest
}

// reference is a pullable host/repository:tag, or host/repository@digest
// (the version as published) when the tag was moved behind mpakd's back:
// mpakd refuses that tag, and it would name other bytes anyway.
func reference(host string, v *catalog.Version) string {
	if v.Tampered != "" {
		return host + "/" + v.Repository + "@" + v.Digest
	}
	tag := v.Tag
	if tag == "" {
		tag = v.Version
	}
	return host + "/" + v.Repository + ":" + tag
}
