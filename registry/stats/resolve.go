package stats

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/mpak-oci/mpak/registry/catalog"
)

const (
	cacheSize = 4096
	// knownTTL bounds how long a layer stays attributed after its version
	// is deleted or re-indexed without passing through Middleware.
	knownTTL = 5 * time.Minute
	// unknownTTL is short: a layer GET before its version is indexed by
	// another path (reindex, upstream events) must not hide the version's
	// downloads for long. It still saves the Store a query for the config
	// blob that every pull fetches.
	unknownTTL = 5 * time.Second
	// lookupTimeout bounds what Record waits for the Store; past it the
	// download is logged unresolved and attributed at the flush.
	lookupTimeout = 100 * time.Millisecond
	// storeBackoff is how long Record stops asking a Store that just failed.
	storeBackoff = 5 * time.Second
)

// resolver attributes layer digests to builds, through the cache.
type resolver struct {
	store catalog.Store
	log   *slog.Logger
	cache *layerCache
	// calls merges concurrent lookups of one digest: a new release pulled by
	// many clients at once costs one query.
	calls singleflight.Group
	// failedUntil (unix nanoseconds) is set when the Store failed a lookup
	// on the request path; until then Record does not wait for it.
	failedUntil atomic.Int64
}

func newResolver(store catalog.Store, log *slog.Logger) *resolver {
	return &resolver{store: store, log: log, cache: newLayerCache(cacheSize, time.Now)}
}

// quick answers for Record without ever waiting long: ok is false when the
// Store could not answer in time, and the caller defers the question to the
// flush. A nil ref with ok is a blob that is no bundle layer.
func (r *resolver) quick(ctx context.Context, repository, digest string) (ref *catalog.LayerRef, ok bool) {
	k := layerKey{repository, digest}
	if ref, ok := r.cache.get(k); ok {
		return ref, true
	}
	if time.Now().UnixNano() < r.failedUntil.Load() {
		return nil, false
	}
	lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	v, err, _ := r.calls.Do(repository+"@"+digest, func() (any, error) { return r.lookup(lctx, k) })
	if err != nil {
		// A client that went away cancels its lookup (and those merged
		// with it); that says nothing of the Store, so only a timeout or
		// a Store error backs off.
		if !errors.Is(err, context.Canceled) {
			r.failedUntil.Store(time.Now().Add(storeBackoff).UnixNano())
			r.log.Warn("resolving a downloaded layer failed; it is counted at the next flush", "repository", repository, "digest", digest, "err", err)
		}
		return nil, false
	}
	return v.(*catalog.LayerRef), true
}

// resolve answers for a flush, which can wait: an error leaves the batch
// in the log for the next flush.
func (r *resolver) resolve(ctx context.Context, repository, digest string) (*catalog.LayerRef, error) {
	k := layerKey{repository, digest}
	if ref, ok := r.cache.get(k); ok {
		return ref, nil
	}
	return r.lookup(ctx, k)
}

// lookup asks the Store and caches the answer.
func (r *resolver) lookup(ctx context.Context, k layerKey) (*catalog.LayerRef, error) {
	ref, err := r.store.Layer(ctx, k.repository, k.digest)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		r.cache.put(k, nil, unknownTTL)
		return nil, nil
	case err != nil:
		return nil, err
	}
	r.cache.put(k, ref, knownTTL)
	return ref, nil
}

// forget drops cached answers about a repository, after a push or delete
// changed what its layers are.
func (r *resolver) forget(repository string) { r.cache.forget(repository) }
