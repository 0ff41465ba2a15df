// Package guard enforces, in front of a registry's OCI API, the promises a
// registry of MCP bundles makes whoever the client is (mpak, oras, crane,
// curl, a race of them, another mpakd replica):
//
//   - a published version never changes: a manifest PUT that would move a
//     version tag of a bundle elsewhere is refused, the same digest again
//     is a no-op, and of concurrent pushes of one version exactly one wins
//     (the version's lock lives in the catalog's database, shared by
//     replicas);
//   - a bundle lives only where its manifest.json says: the repository
//     ends in its name and the tag is its version, so nothing in the
//     catalog is keyed by what a config claims;
//   - nothing published is deleted: DELETE of a bundle's manifest or tag,
//     and of any blob, is refused (yank instead);
//   - a version whose tag was moved behind mpakd's back (found tampered)
//     is not served by that tag.
//
// Everything else passes through untouched, blobs streamed.
package guard

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"oras.land/oras-go/v2/registry"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/internal/ociapi"
)

// Repositories opens repositories of the registry the guard fronts,
// bypassing the guard (mpakd's own reads).
type Repositories interface {
	Repository(ctx context.Context, name string) (registry.Repository, error)
}

// Locker holds a key exclusively among every process that publishes to the
// registry (catalog.Store.Lock).
type Locker interface {
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// Catalog is what the guard asks the catalog (catalog.Store): the version
// published under a tag, and whether a repository holds bundles.
type Catalog interface {
	Version(ctx context.Context, repository, version string) (*catalog.Version, error)
	Bundle(ctx context.Context, repository string) (*catalog.Bundle, error)
}

// Options configures Middleware.
type Options struct {
	// Repos reads the registry next serves. Required.
	Repos Repositories
	// Locker serialises publications of one version. Required.
	Locker Locker
	// Catalog, when set, is consulted for versions the registry alone
	// cannot vouch for: tampered ones, and ones it no longer holds.
	Catalog Catalog
	// Published is called once the registry has stored a bundle under its
	// version tag, still holding the version's lock and before the client
	// is answered: indexing here means the catalog names exactly what the
	// tag holds, and a search right after a push finds it.
	Published func(ctx context.Context, repository, tag string)
	// Moved is called when a pull found a version's tag naming other bytes
	// than were published (the pull was refused), so the catalog marks it.
	Moved func(ctx context.Context, repository, tag string)
	// Deleted is called once the registry has deleted a manifest (by tag
	// or digest) the rules let through, so the catalog can follow.
	Deleted func(ctx context.Context, repository, reference string)
	// MayDelete, when set, lets a request delete a published bundle
	// version in repository (an administrator's delete grant, for a
	// takedown): the catalog then drops it. Nil refuses every such delete.
	MayDelete func(r *http.Request, repository string) bool
	// LockTimeout bounds the wait for a version another push is publishing
	// (default 30s); past it the client is asked to retry.
	LockTimeout time.Duration
	Logger      *slog.Logger
}

// Middleware returns next behind the rules.
func Middleware(next http.Handler, opts Options) http.Handler {
	if opts.Repos == nil || opts.Locker == nil {
		panic("guard.Middleware: Options.Repos and Options.Locker are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 30 * time.Second
	}
	if opts.Published == nil {
		opts.Published = func(context.Context, string, string) {}
	}
	if opts.Moved == nil {
		opts.Moved = func(context.Context, string, string) {}
	}
	if opts.Deleted == nil {
		opts.Deleted = func(context.Context, string, string) {}
	}
	return &guard{next: next, opts: opts, log: opts.Logger}
}

type guard struct {
	next http.Handler
	opts Options
	log  *slog.Logger
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if name, ref, ok := ociapi.SplitPath(r.URL.Path, "/manifests/"); ok {
		switch r.Method {
		case http.MethodPut:
			g.put(w, r, name, ref)
			return
		case http.MethodDelete:
			g.deleteManifest(w, r, name, ref)
			return
		case http.MethodGet, http.MethodHead:
			g.pull(w, r, name, ref)
			return
		}
	}
	if _, dgst, ok := ociapi.SplitPath(r.URL.Path, "/blobs/"); ok && r.Method == http.MethodDelete {
		// 405 UNSUPPORTED is how the distribution spec says a registry
		// does not delete blobs (403 would tell clients to log in).
		w.Header().Set("Allow", "GET, HEAD")
		g.refuse(w, r, http.StatusMethodNotAllowed, ociapi.CodeUnsupported,
			"mpakd does not delete blobs: "+dgst+" may belong to a published version, which must stay pullable; "+
				"blobs no manifest references are removed by the registry's garbage collection", nil)
		return
	}
	g.next.ServeHTTP(w, r)
}

// refuse answers with an OCI error and logs the refusal: refusals are what
// an operator looks for after an attack or a confused CI job.
func (g *guard) refuse(w http.ResponseWriter, r *http.Request, status int, code, message string, detail any) {
	g.log.Warn("refused", "method", r.Method, "path", r.URL.Path, "status", status, "reason", message,
		"remote", r.RemoteAddr, "user_agent", r.UserAgent())
	ociapi.WriteError(w, status, code, message, detail)
}

// refString names a manifest as clients write it: name:tag or
// name@digest.
func refString(name, ref string) string {
	if strings.Contains(ref, ":") {
		return name + "@" + ref
	}
	return name + ":" + ref
}
