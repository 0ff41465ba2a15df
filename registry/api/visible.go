package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// Visible is the catalog as a client who may read only the repositories
// readable accepts sees it: the others do not exist. Lookups of a hidden
// repository are catalog.ErrNotFound, exactly as for an unknown one, and
// Search and List keep their contract over the visible bundles (full
// pages, totals counted among them), so paging built on them needs no
// change. A nil readable is the whole catalog.
//
// The view is for reading: writes, locks and the generation go to s.
func Visible(s catalog.Store, readable func(repository string) bool) catalog.Store {
	if readable == nil {
		return s
	}
	return &visible{Store: s, readable: readable}
}

type visible struct {
	catalog.Store
	readable func(string) bool
}

func (v *visible) Bundle(ctx context.Context, repository string) (*catalog.Bundle, error) {
	if !v.readable(repository) {
		return nil, catalog.ErrNotFound
	}
	return v.Store.Bundle(ctx, repository)
}

func (v *visible) Versions(ctx context.Context, repository string) ([]catalog.Version, error) {
	if !v.readable(repository) {
		return nil, catalog.ErrNotFound
	}
	return v.Store.Versions(ctx, repository)
}

func (v *visible) Version(ctx context.Context, repository, version string) (*catalog.Version, error) {
	if !v.readable(repository) {
		return nil, catalog.ErrNotFound
	}
	return v.Store.Version(ctx, repository, version)
}

func (v *visible) Stats(ctx context.Context, repository string) (*catalog.Stats, error) {
	if !v.readable(repository) {
		return nil, catalog.ErrNotFound
	}
	return v.Store.Stats(ctx, repository)
}

func (v *visible) Layer(ctx context.Context, repository, digest string) (*catalog.LayerRef, error) {
	if !v.readable(repository) {
		return nil, catalog.ErrNotFound
	}
	return v.Store.Layer(ctx, repository, digest)
}

func (v *visible) Manifest(ctx context.Context, repository, digest string) (*catalog.LayerRef, error) {
	if !v.readable(repository) {
		return nil, catalog.ErrNotFound
	}
	return v.Store.Manifest(ctx, repository, digest)
}

// Search hands the read rule to a store that applies it itself (the
// search engine: one pass, facets counted over the visible bundles only).
// Otherwise it reads the store's ranking from the top in its largest
// pages, whatever page was asked for: the visible total can only be
// counted over every match, and the hidden bundles before the requested
// offset decide where the page starts. Each of those pages is the same
// query for every client, so a search cache under the view answers them.
func (v *visible) Search(ctx context.Context, q catalog.Query) (*catalog.Results, error) {
	if rs, ok := v.Store.(catalog.ReadableSearcher); ok {
		res, err := rs.SearchReadable(ctx, q, v.readable)
		if !errors.Is(err, errors.ErrUnsupported) {
			return res, err
		}
	}
	nq, err := q.Normalize()
	if err != nil {
		return v.Store.Search(ctx, q) // the store words the refusal
	}
	batch := nq
	batch.Offset, batch.Limit = 0, catalog.MaxLimit
	// The store's facets would count hidden bundles: without a store that
	// applies the rule, there are none.
	batch.Facets = false
	out := &catalog.Results{Bundles: []catalog.Bundle{}}
	for {
		res, err := v.Store.Search(ctx, batch)
		if err != nil {
			return nil, err
		}
		for _, b := range res.Bundles {
			if !v.readable(b.Repository) {
				continue
			}
			if out.Total >= nq.Offset && len(out.Bundles) < nq.Limit {
				out.Bundles = append(out.Bundles, b)
			}
			out.Total++
		}
		batch.Offset += len(res.Bundles)
		if len(res.Bundles) < batch.Limit || batch.Offset >= res.Total {
			return out, nil
		}
	}
}

// searchShared asks s for a search page of its own bundles;
// errors.ErrUnsupported when it cannot.
func searchShared(ctx context.Context, s catalog.Store, q catalog.Query, readable func(string) bool) (*catalog.SharedResults, error) {
	ss, ok := s.(catalog.SharedSearcher)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	return ss.SearchShared(ctx, q, readable)
}

// List reads on past hidden versions until it has limit visible ones or
// the store has no more, so a short page still means the end.
func (v *visible) List(ctx context.Context, after string, since time.Time, latestOnly bool, limit int) ([]catalog.Version, error) {
	limit = catalog.ListLimit(limit)
	var out []catalog.Version
	for {
		vs, err := v.Store.List(ctx, after, since, latestOnly, limit)
		if err != nil {
			return nil, err
		}
		for i := range vs {
			if !v.readable(vs[i].Repository) {
				continue
			}
			out = append(out, vs[i])
			if len(out) == limit {
				return out, nil
			}
		}
		if len(vs) < limit {
			return out, nil
		}
		after = catalog.Cursor(&vs[len(vs)-1])
	}
}

// readableKey carries the request's filter in its context.
type readableKey struct{}

// readableOf is the filter routes put in ctx; without one, everything.
func readableOf(ctx context.Context) func(string) bool {
	if f, _ := ctx.Value(readableKey{}).(func(string) bool); f != nil {
		return f
	}
	return func(string) bool { return true }
}

// scoped is the store as the handlers read it: each call sees the catalog
// of the client whose request's context it is given, so no handler can
// forget to filter.
type scoped struct{ catalog.Store }

func (s scoped) view(ctx context.Context) catalog.Store {
	f, _ := ctx.Value(readableKey{}).(func(string) bool)
	return Visible(s.Store, f)
}

func (s scoped) Bundle(ctx context.Context, repository string) (*catalog.Bundle, error) {
	return s.view(ctx).Bundle(ctx, repository)
}

func (s scoped) Versions(ctx context.Context, repository string) ([]catalog.Version, error) {
	return s.view(ctx).Versions(ctx, repository)
}

func (s scoped) Version(ctx context.Context, repository, version string) (*catalog.Version, error) {
	return s.view(ctx).Version(ctx, repository, version)
}

func (s scoped) Stats(ctx context.Context, repository string) (*catalog.Stats, error) {
	return s.view(ctx).Stats(ctx, repository)
}

func (s scoped) Layer(ctx context.Context, repository, digest string) (*catalog.LayerRef, error) {
	return s.view(ctx).Layer(ctx, repository, digest)
}

func (s scoped) Manifest(ctx context.Context, repository, digest string) (*catalog.LayerRef, error) {
	return s.view(ctx).Manifest(ctx, repository, digest)
}

func (s scoped) Search(ctx context.Context, q catalog.Query) (*catalog.Results, error) {
	return s.view(ctx).Search(ctx, q)
}

// SearchShared answers with the store's own bundles, under the client's
// read rule; errors.ErrUnsupported when the store cannot.
func (s scoped) SearchShared(ctx context.Context, q catalog.Query) (*catalog.SharedResults, error) {
	f, _ := ctx.Value(readableKey{}).(func(string) bool)
	return searchShared(ctx, s.Store, q, f)
}

func (s scoped) List(ctx context.Context, after string, since time.Time, latestOnly bool, limit int) ([]catalog.Version, error) {
	return s.view(ctx).List(ctx, after, since, latestOnly, limit)
}

// Credentialed is r as far as who is asking goes: a browser's request
// made by another site's page (an <img>, a fetch, a frame) is answered as
// anonymous. The browser attaches the Basic credentials it remembers for
// this server to such requests, and that site could then tell, from a
// badge's size or a page's timing, whether its visitor may see a private
// repository. Following a link to a page here keeps them, as does every
// client that is not a browser (no Sec-Fetch-Site).
func Credentialed(r *http.Request) *http.Request {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
	default:
		return r
	}
	if r.Header.Get("Sec-Fetch-Mode") == "navigate" && r.Header.Get("Sec-Fetch-Dest") == "document" || r.Header.Get("Authorization") == "" {
		return r
	}
	anon := r.Clone(r.Context())
	anon.Header.Del("Authorization")
	return anon
}
