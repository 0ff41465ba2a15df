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
//
// In front of an upstream registry (Options.Upstream) the middleware steps
// in only where the upstream lacks the API: a PUT the upstream answered
// with OCI-Subject, and a referrers GET it answered, pass through as they
// are.
package referrers

import (
	"context"
	"log/slog"
	"net/http"

	"oras.land/oras-go/v2/registry"

	"github.com/mpak-oci/mpak/registry/internal/keylock"
	"github.com/mpak-oci/mpak/registry/internal/ociapi"
)

// Repositories opens repositories of the registry the middleware fronts,
// bypassing the middleware (e.g. *embedded.Registry): the fallback indexes
// it writes are not themselves referrers.
type Repositories interface {
	Repository(ctx context.Context, name string) (registry.Repository, error)
}

// Options configures Middleware.
type Options struct {
	// Repos is access to the same registry next serves, bypassing the
	// middleware. Required.
	Repos Repositories
	// Locker serialises rewrites of one subject's list; default: within
	// this process. Replicas sharing a registry pass a shared one.
	Locker Locker
	// Upstream marks next as a registry of its own that may have the
	// referrers API (mpakd fronting Harbor, zot, distribution): its answers
	// are used where it has the API, and the fallback list is kept only
	// where it has not, as seen on each answer.
	Upstream bool
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
	locker := opts.Locker
	if locker == nil {
		locker = &keylock.Locks{}
	}
	return &middleware{next: next, repos: opts.Repos, log: log, indexes: &fallbackIndexes{locker: locker}, upstream: opts.Upstream}
}

type middleware struct {
	next     http.Handler
	repos    Repositories
	log      *slog.Logger
	indexes  *fallbackIndexes
	upstream bool
}

func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if name, ref, ok := ociapi.SplitPath(r.URL.Path, "/referrers/"); ok {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			if m.upstream && m.upstreamLists(w, r) {
				return
			}
			m.list(w, r, name, ref)
			return
		}
		w.Header().Set("Allow", "GET, HEAD")
		ociapi.WriteError(w, http.StatusMethodNotAllowed, ociapi.CodeUnsupported, "the referrers API is read-only: use GET", nil)
		return
	}
	if name, ref, ok := ociapi.SplitPath(r.URL.Path, "/manifests/"); ok {
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

// upstreamLists answers a referrers request from the upstream when it has
// the API, and reports whether it did. The rule is oras-go's: a 404 that
// is not NAME_UNKNOWN means the registry has no referrers API.
func (m *middleware) upstreamLists(w http.ResponseWriter, r *http.Request) bool {
	held := ociapi.Hold(w)
	m.next.ServeHTTP(held, r)
	if held.Status() == http.StatusNotFound && !ociapi.HasCode(held.Body(), ociapi.CodeNameUnknown) {
		for k := range w.Header() {
			w.Header().Del(k)
		}
		return false
	}
	held.Send()
	return true
}
