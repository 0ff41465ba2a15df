package catalog

import (
	"context"
	"errors"
)

// ErrChangesPruned is returned by ChangeFeed.Changes when changes after
// the given sequence number are no longer all kept: the reader must start
// again from Listed.
var ErrChangesPruned = errors.New("the change log no longer reaches back that far: reload the catalog from Listed")

// Change is a repository whose search view changed (its versions, its
// latest version or its download counts), as the store holds it now.
type Change struct {
	Repository string
	// Bundle is the repository's summary now; nil when it is no longer
	// listed (its last version was deleted).
	Bundle *Bundle
}

// ChangeFeed is what an in-memory search engine follows to mirror the
// catalog: a snapshot of every listed bundle, then the repositories that
// changed after it, in commit order, whichever process wrote them. Both
// SQL stores implement it; the engine checks for it with a type assertion.
type ChangeFeed interface {
	// Listed calls each with every listed bundle (one with a latest
	// version), in turn, and returns the change sequence number they are
	// current to, all read from one snapshot of the store. each owns the
	// bundle it is given; an error from it ends the reading.
	Listed(ctx context.Context, each func(*Bundle) error) (seq int64, err error)
	// Changes returns what the transactions numbered after+1 to
	// after+limit changed (each repository once, as it is now), read from
	// one snapshot, and the
	// sequence number they bring a reader to (after itself when nothing
	// changed). It is ErrChangesPruned when the log no longer holds
	// everything after after.
	Changes(ctx context.Context, after int64, limit int) (seq int64, changes []Change, err error)
}

// ReadableSearcher is a store that applies a read rule to a search itself:
// bundles readable refuses are neither results nor counted, in the total
// or the facets. The search engine implements it; stores that do not are
// searched page by page and filtered above them, without facets.
// errors.ErrUnsupported says that a wrapper's inner store does not.
type ReadableSearcher interface {
	SearchReadable(ctx context.Context, q Query, readable func(repository string) bool) (*Results, error)
}

// SharedSearcher is a store that answers a search with its own bundles
// instead of copies, for a caller that only reads them: mpakd's search
// API, which writes them into the response. The search engine implements
// it (its bundles never change once built: a change replaces them).
// readable is as for ReadableSearcher; errors.ErrUnsupported says that a
// wrapper's inner store does not implement it.
type SharedSearcher interface {
	SearchShared(ctx context.Context, q Query, readable func(repository string) bool) (*SharedResults, error)
}

// SharedResults is Results with the store's own bundles, which the caller
// must not modify.
type SharedResults struct {
	Bundles []*Bundle
	Total   int
	Facets  *Facets
}
