package server

import (
	"context"
	"fmt"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/search"
)

// changeNotifier is a store that announces committed changes (PostgreSQL:
// LISTEN/NOTIFY), so the engine need not wait for its next poll.
type changeNotifier interface {
	ChangeNotifications(ctx context.Context) <-chan struct{}
}

// startEngine loads the search engine from the store's change feed and
// follows it until Shutdown; opts.Store becomes the store whose searches
// the engine answers. Without a change feed, or with SQLSearch, searches
// stay with the store.
func (s *Server) startEngine(ctx context.Context, opts *Options) error {
	feed, ok := opts.Store.(catalog.ChangeFeed)
	if !ok || opts.SQLSearch {
		return nil
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	var wake <-chan struct{}
	if n, ok := opts.Store.(changeNotifier); ok {
		wake = n.ChangeNotifications(runCtx)
	}
	engine, err := search.New(ctx, feed, search.Options{PollInterval: opts.SearchPollInterval, Wake: wake, Logger: s.log})
	if err != nil {
		stop()
		return fmt.Errorf("%w (mpakd serves searches from memory; a catalog it cannot read cannot be served)", err)
	}
	st := engine.Stats()
	s.log.Info("search engine loaded", "bundles", st.Bundles, "words", st.Words, "postings", st.Postings)
	s.engine, s.stopEngine, s.engineDone = engine, stop, make(chan struct{})
	go func() {
		defer close(s.engineDone)
		engine.Run(runCtx)
	}()
	opts.Store = engine.Store(opts.Store)
	return nil
}

// stopEngineLoop ends the engine's following of the change feed.
func (s *Server) stopEngineLoop() {
	if s.stopEngine != nil {
		s.stopEngine()
		<-s.engineDone
		s.stopEngine = nil
	}
}
