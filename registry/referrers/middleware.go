// Package referrers gives a registry that lacks it (distribution/v3) the OCI
// 1.1 referrers API, as an http.Handler middleware in front of it.
//
// The referrers of a subject are kept in the registry itself, as the image
// index tagged <alg>-<hex> that the distribution spec defines as the
// fallback for registries without the API. Keeping that one list means:
//   - referrers attached earlier by clients in fallback mode (oras, cosign)
//     are listed by the API without any migration;
//   - clients that still read the fallback tag (this registry mirrored by a
//     tool that does not probe the API) see what the API shows;
//   - nothing lives outside the registry, so copying or reindexing the
//     registry's storage keeps the referrers.
//
// A manifest PUT that carries a subject is answered with OCI-Subject, which
// tells clients the registry maintains the list, so they do not rewrite the
// fallback tag themselves (and race each other doing it).
package referrers

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"oras.land/oras-go/v2/registry"
)

// Repositories opens repositories of the registry the middleware fronts,
// bypassing the middleware (e.g. *embedded.Registry): the fallback indexes
// it writes are not themselves referrers.
type Repositories interface {
	Repository(ctx context.Context, name string) (registry.Repository, error)
}

// Options configures Middleware.
type Options struct {
	// Repos is in-process access to the same registry next serves. Required.
	Repos Repositories
	// Logger receives failures that cannot be returned to a client (a
	// fallback index that could not be updated after a stored push);
	// default slog.Default().
	Logger *slog.Logger
}

// Middleware serves GET /v2/<name>/referrers/<digest> and maintains the
// fallback indexes on manifest PUTs and DELETEs; every other request goes to
// next untouched, blobs streamed.
func Middleware(next http.Handler, opts Options) http.Handler {
	if opts.Repos == nil {
		panic("referrers.Middleware: Options.Repos is nil; pass in-process access to the registry, e.g. the *embedded.Registry")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &middleware{next: next, repos: opts.Repos, log: log, indexes: &fallbackIndexes{}}
}

type middleware struct {
	next    http.Handler
	repos   Repositories
	log     *slog.Logger
	indexes *fallbackIndexes
}

func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if name, ref, ok := splitPath(r.URL.Path, "/referrers/"); ok {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			m.list(w, r, name, ref)
			return
		}
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "the referrers API is read-only: use GET")
		return
	}
	if name, ref, ok := splitPath(r.URL.Path, "/manifests/"); ok {
		switch r.Method {
		case http.MethodPut:
			m.put(w, r, name, ref)
			return
		case http.MethodDelete:
			m.delete(w, r, name, ref)
			return
		}
	}
	m.next.ServeHTTP(w, r)
}

// splitPath splits /v2/<name><sep><reference>. Names contain slashes, so
// the last separator wins; a reference never contains one.
func splitPath(p, sep string) (name, reference string, ok bool) {
	rest, found := strings.CutPrefix(p, "/v2/")
	if !found {
		return "", "", false
	}
	i := strings.LastIndex(rest, sep)
	if i <= 0 {
		return "", "", false
	}
	name, reference = rest[:i], rest[i+len(sep):]
	if reference == "" || strings.Contains(reference, "/") {
		return "", "", false
	}
	return name, reference, true
}
