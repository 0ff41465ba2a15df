// Package searchcache keeps recent search results in front of an
// catalog.Store. Catalog searches repeat a lot (the empty query, popular
// words, the one or two letters a user has typed so far), and ranking a
// broad query costs the stores tens of milliseconds at 100k versions, so
// mpakd answers repeated searches from memory.
//
// A cached page is served while the catalog's generation is unchanged,
// which every store moves in the same transaction as a version put or
// delete, from any process: a new version is searchable through every
// replica as soon as it is indexed. Download counts do not move the
// generation (they change with every pull), so a page also expires after
// TTL: that bounds how stale a count or a downloads order in search can be.
package searchcache

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/internal/fulltext"
)

// Defaults of Options.
const (
	DefaultSize = 4096
	DefaultTTL  = 5 * time.Second
)

// Options tune the cache. The zero value uses the defaults.
type Options struct {
	// Size is how many distinct queries are kept (least recently used
	// go first). A page of 20 bundles is about 15 KB.
	Size int
	// TTL is how long a page may be served while the catalog is
	// unchanged: the most a download count in search results lags.
	TTL time.Duration
	// Now is the clock, for tests.
	Now func() time.Time
}

// Store is an catalog.Store whose Search is cached. Everything else goes to
// the wrapped store.
type Store struct {
	catalog.Store
	ttl     time.Duration
	now     func() time.Time
	entries *lru.Cache[key, *entry]
	calls   singleflight.Group

	hits, misses atomic.Int64
}

type entry struct {
	generation int64
	at         time.Time
	results    *catalog.Results
}

// key is a normalized query, comparable so it can key the LRU. Text is
// the search terms as the stores see them, so "Weather " and "weather"
// share an entry.
type key struct {
	text, typ, os, arch string
	minLevel            int
	signed              int8 // 0 any, 1 signed, -1 unsigned
	sort                catalog.Sort
	limit, offset       int
}

// New caches s's searches.
func New(s catalog.Store, opts Options) *Store {
	if opts.Size <= 0 {
		opts.Size = DefaultSize
	}
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	entries, err := lru.New[key, *entry](opts.Size)
	if err != nil {
		panic(err) // only for a size ≤ 0, excluded above
	}
	return &Store{Store: s, ttl: opts.TTL, now: opts.Now, entries: entries}
}

// SearchReadable passes a search under a read rule to the store, uncached:
// its answer is one client's. errors.ErrUnsupported when the store cannot.
func (s *Store) SearchReadable(ctx context.Context, q catalog.Query, readable func(repository string) bool) (*catalog.Results, error) {
	rs, ok := s.Store.(catalog.ReadableSearcher)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	return rs.SearchReadable(ctx, q, readable)
}

// Search answers from the cache when it holds q's page for the current
// generation, not older than TTL; otherwise it asks the store, once for all
// callers asking the same thing at the same time. The Results returned are
// shared between callers: they must not be modified.
func (s *Store) Search(ctx context.Context, q catalog.Query) (*catalog.Results, error) {
	q, err := q.Normalize()
	if err != nil {
		return nil, err
	}
	gen, err := s.Store.Generation(ctx)
	if err != nil {
		return nil, fmt.Errorf("searching %q: %w", q.Text, err)
	}
	k := keyOf(q)
	if e, ok := s.entries.Get(k); ok && e.generation == gen && s.now().Sub(e.at) < s.ttl {
		s.hits.Add(1)
		return e.results, nil
	}
	s.misses.Add(1)
	// The generation is part of the flight's name: a caller that saw a
	// newer one must not get a page computed before it.
	flight := fmt.Sprintf("%d\x00%v", gen, k)
	v, err, _ := s.calls.Do(flight, func() (any, error) {
		at := s.now()
		res, err := s.Store.Search(ctx, q)
		if err != nil {
			return nil, err
		}
		// Stored under the generation read before the search: the page is
		// at least that new, and a write in between only costs a miss.
		s.entries.Add(k, &entry{generation: gen, at: at, results: res})
		return res, nil
	})
	if err != nil {
		// A shared call fails with its first caller's context; this
		// caller's may still be live.
		if (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) && ctx.Err() == nil {
			return s.Store.Search(ctx, q)
		}
		return nil, err
	}
	return v.(*catalog.Results), nil
}

// Counts are the cache's hits and misses since New.
func (s *Store) Counts() (hits, misses int64) { return s.hits.Load(), s.misses.Load() }

func keyOf(q catalog.Query) key {
	k := key{text: strings.Join(fulltext.Terms(q.Text), " "), typ: q.Type, os: q.OS, arch: q.Arch, minLevel: q.MinLevel,
		sort: q.Sort, limit: q.Limit, offset: q.Offset}
	if q.Signed != nil {
		k.signed = -1
		if *q.Signed {
			k.signed = 1
		}
	}
	return k
}
