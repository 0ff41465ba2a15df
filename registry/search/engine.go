// Package search is mpakd's search engine: the catalog's listed bundles
// held in memory with a dictionary of their words, so that every query,
// a new one as much as a repeated one, is answered in microseconds
// without a database round trip.
//
// The catalog store stays the source of truth. An Engine loads a snapshot
// of it at start (catalog.ChangeFeed's Listed) and then follows its change
// feed: every put, delete and download count, committed by this process
// or by another replica sharing the database, is read back with the
// bundle as it is now and replaces what the engine held. Engine.Run polls
// the feed, and reads it at once when Options.Wake fires (PostgreSQL's
// LISTEN/NOTIFY); Store makes a process's own writes searchable before
// they return.
//
// Matching and ranking are the stores': every word of the text is
// required, the last also as a prefix (search as you type); words weigh
// by field, name first, then display name and tool names, keywords and
// description, then the long description and tool descriptions. A last
// word that matches nothing is read as a typo of a word one edit away.
package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// Defaults of Options.
const (
	DefaultPollInterval = 250 * time.Millisecond
	// changesPerRead is how many transactions one read of the feed covers.
	changesPerRead = 1000
)

// Options tune an Engine. The zero value uses the defaults.
type Options struct {
	// PollInterval is how often Run reads the change feed: the most a
	// change by another process takes to become searchable here when
	// nothing wakes the engine sooner.
	PollInterval time.Duration
	// Wake makes Run read the feed at once whenever it receives (nil:
	// polling only). PostgreSQL stores deliver their NOTIFY here.
	Wake <-chan struct{}
	// NoTypos turns off reading a last word that matches nothing as a
	// typo.
	NoTypos bool
	// Logger receives failures to read the feed; nil is slog.Default.
	Logger *slog.Logger
}

// Engine answers searches from memory and follows a store's change feed.
// Its methods are safe for concurrent use.
type Engine struct {
	feed catalog.ChangeFeed
	opts Options

	// syncing is held by whoever reads the feed, so that changes are
	// applied once and in order.
	syncing sync.Mutex

	// mu guards what follows: searches read under it, changes write.
	mu   sync.RWMutex
	seq  int64
	docs []*doc // by id; nil: not listed (its id stays its repository's)
	ids  map[string]int32
	// downloads are the docs' download counts by id, in one array: a
	// broad query's ties in rank are broken by them, thousands per query,
	// without visiting the docs.
	downloads []int64
	dict      *dictionary
	// listed counts the docs that are not nil.
	listed int
	// scratch holds per-search work arrays sized to docs.
	scratch sync.Pool
}

// New loads every listed bundle from feed and returns the engine, current
// to that snapshot. Call Run to keep it current.
func New(ctx context.Context, feed catalog.ChangeFeed, opts Options) (*Engine, error) {
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	e := &Engine{feed: feed, opts: opts}
	if err := e.reload(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// reload replaces everything with a new snapshot. The bundles are turned
// into docs while the store is still reading: splitting and weighing
// text is most of the work, and every core takes a share.
func (e *Engine) reload(ctx context.Context) error {
	type job struct {
		i int
		b *catalog.Bundle
		d *doc
	}
	jobs, built := make(chan job, 256), make(chan job, 256)
	var workers sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		workers.Go(func() {
			for j := range jobs {
				j.d, j.b = newDoc(j.b), nil
				built <- j
			}
		})
	}
	var docs []*doc
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for j := range built {
			if j.i >= len(docs) {
				docs = append(docs, make([]*doc, j.i+1-len(docs))...)
			}
			docs[j.i] = j.d
		}
	}()
	n := 0
	seq, err := e.feed.Listed(ctx, func(b *catalog.Bundle) error {
		jobs <- job{i: n, b: b}
		n++
		return nil
	})
	close(jobs)
	workers.Wait()
	close(built)
	<-collected
	if err != nil {
		return fmt.Errorf("loading the search engine: %w", err)
	}
	docs = docs[:n:n]
	ids := make(map[string]int32, len(docs))
	downloads := make([]int64, len(docs))
	for i, d := range docs {
		ids[d.bundle.Repository] = int32(i)
		downloads[i] = d.downloads
	}
	dict := buildDictionary(docs)

	e.mu.Lock()
	defer e.mu.Unlock()
	e.seq, e.docs, e.ids, e.downloads, e.dict, e.listed = seq, docs, ids, downloads, dict, len(docs)
	return nil
}

// Sync applies every change committed to the store so far. Store calls
// it after each write, so a process searches its own writes at once.
func (e *Engine) Sync(ctx context.Context) error {
	e.syncing.Lock()
	defer e.syncing.Unlock()
	for {
		e.mu.RLock()
		after := e.seq
		e.mu.RUnlock()
		seq, changes, err := e.feed.Changes(ctx, after, changesPerRead)
		if errors.Is(err, catalog.ErrChangesPruned) {
			e.opts.Logger.Warn("search: the change log no longer reaches back to what the engine holds; reloading the catalog", "seq", after)
			return e.reload(ctx)
		}
		if err != nil {
			return fmt.Errorf("following the catalog's changes: %w", err)
		}
		if seq == after {
			return nil
		}
		e.apply(seq, changes)
	}
}

// apply replaces the changed bundles' docs and moves the engine to seq.
func (e *Engine) apply(seq int64, changes []catalog.Change) {
	// The docs are built before the lock is taken: searches wait only for
	// the postings to change.
	built := make([]*doc, len(changes))
	for i, c := range changes {
		if c.Bundle != nil {
			built[i] = newDoc(c.Bundle)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, c := range changes {
		id, known := e.ids[c.Repository]
		var old *doc
		if known {
			old = e.docs[id]
		}
		nd := built[i]
		switch {
		case nd == nil && old != nil:
			e.dict.remove(id, old)
			e.docs[id] = nil
			e.listed--
		case nd == nil:
		case old != nil && old.textHash == nd.textHash:
			// Counts or metadata changed, the words did not: the postings
			// stand, and the doc takes the old one's word ids.
			nd.words, nd.scores, nd.terms = old.words, old.scores, nil
			e.docs[id] = nd
			e.downloads[id] = nd.downloads
		default:
			if !known {
				id = int32(len(e.docs))
				e.docs = append(e.docs, nil)
				e.downloads = append(e.downloads, 0)
				e.ids[c.Repository] = id
			}
			if old != nil {
				e.dict.remove(id, old)
			} else {
				e.listed++
			}
			e.dict.add(id, nd)
			e.docs[id] = nd
			e.downloads[id] = nd.downloads
		}
	}
	e.dict.settle(len(e.docs))
	e.seq = seq
}

// Run follows the change feed until ctx ends: every PollInterval, and at
// once when Options.Wake receives. Failures are logged and retried at
// the next poll.
func (e *Engine) Run(ctx context.Context) {
	tick := time.NewTicker(e.opts.PollInterval)
	defer tick.Stop()
	wake := e.opts.Wake
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case _, ok := <-wake:
			if !ok {
				wake = nil // closed: polling alone from now on
			}
		}
		if err := e.Sync(ctx); err != nil && ctx.Err() == nil {
			e.opts.Logger.Error("search: reading the catalog's changes", "err", err)
		}
	}
}

// Stats describe what an engine holds.
type Stats struct {
	// Seq is the change sequence number the engine is current to.
	Seq int64
	// Bundles is how many listed bundles it holds; Words the size of its
	// dictionary; Postings the entries of all its postings lists.
	Bundles, Words, Postings int
}

// Stats tells what the engine holds.
func (e *Engine) Stats() Stats {
	e.mu.RLock()
	defer e.mu.RUnlock()
	st := Stats{Seq: e.seq, Bundles: e.listed, Words: len(e.dict.words)}
	for _, p := range e.dict.lists {
		st.Postings += len(p.docs)
	}
	return st
}
