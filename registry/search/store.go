package search

import (
	"context"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// Store is a catalog.Store whose searches the engine answers. Its writes
// go to the store and then catch the engine up before they return, so a
// process searches its own writes at once; other processes' writes arrive
// through Engine.Run.
type Store struct {
	catalog.Store
	engine *Engine
}

// Store wraps s, the store the engine follows (or a wrapper of it).
func (e *Engine) Store(s catalog.Store) *Store { return &Store{Store: s, engine: e} }

// Search is the engine's.
func (s *Store) Search(ctx context.Context, q catalog.Query) (*catalog.Results, error) {
	return s.engine.Search(ctx, q)
}

// SearchShared is the engine's.
func (s *Store) SearchShared(ctx context.Context, q catalog.Query, readable func(repository string) bool) (*catalog.SharedResults, error) {
	return s.engine.SearchShared(ctx, q, readable)
}

// SearchReadable is the engine's.
func (s *Store) SearchReadable(ctx context.Context, q catalog.Query, readable func(repository string) bool) (*catalog.Results, error) {
	return s.engine.SearchReadable(ctx, q, readable)
}

func (s *Store) PutVersion(ctx context.Context, v *catalog.Version) error {
	if err := s.Store.PutVersion(ctx, v); err != nil {
		return err
	}
	s.sync(ctx)
	return nil
}

func (s *Store) DeleteVersion(ctx context.Context, repository, version string) error {
	if err := s.Store.DeleteVersion(ctx, repository, version); err != nil {
		return err
	}
	s.sync(ctx)
	return nil
}

func (s *Store) AddDownloads(ctx context.Context, ds []catalog.Download) error {
	if err := s.Store.AddDownloads(ctx, ds); err != nil {
		return err
	}
	s.sync(ctx)
	return nil
}

// sync catches the engine up after a committed write. A failure does not
// undo the write: the engine catches up at its next poll.
func (s *Store) sync(ctx context.Context) {
	if err := s.engine.Sync(context.WithoutCancel(ctx)); err != nil {
		s.engine.opts.Logger.Warn("search: catching up after a write; the next poll retries", "err", err)
	}
}
