package server

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/mpak-oci/mpak/registry/index"
)

// SyncPrefixes re-reads every repository under prefixes (a prefix is a
// repository path or a namespace: "acme" covers "acme/weather"): those the
// registry's _catalog lists, where it lets us list it, and those already
// in the catalog, so registries that hide _catalog (GHCR, Docker Hub) are
// kept current once `mpakd sync REPO` introduced a repository. It indexes
// versions whose events were missed; it does not remove any.
func (s *Server) SyncPrefixes(ctx context.Context, prefixes []string) (repositories, versions int, err error) {
	if s.indexer == nil {
		return 0, 0, errors.New("sync: no catalog store configured")
	}
	under := func(repo string) bool {
		return slices.ContainsFunc(prefixes, func(p string) bool {
			p = strings.Trim(p, "/")
			return repo == p || strings.HasPrefix(repo, p+"/")
		})
	}
	names := map[string]bool{}
	listed, err := s.backend.repos.Repositories(ctx)
	if err != nil {
		s.log.Debug("sync: the registry's catalog cannot be listed; re-reading the repositories already indexed", "err", err)
	}
	for _, r := range listed {
		if under(r) {
			names[r] = true
		}
	}
	for after := ""; ; {
		page, err := s.store.List(ctx, after, time.Time{}, true, 1000)
		if err != nil {
			return 0, 0, err
		}
		for i := range page {
			if under(page[i].Repository) {
				names[page[i].Repository] = true
			}
		}
		if len(page) < 1000 {
			break
		}
		after = index.Cursor(&page[len(page)-1])
	}
	for _, repo := range slices.Sorted(func(yield func(string) bool) {
		for r := range names {
			if !yield(r) {
				return
			}
		}
	}) {
		n, err := s.indexer.Repository(ctx, repo)
		if err != nil {
			return repositories, versions, err
		}
		repositories++
		versions += n
	}
	return repositories, versions, nil
}

// syncEvery runs SyncPrefixes every interval until ctx ends. A failed
// round is logged and the next one tries again.
func (s *Server) syncEvery(ctx context.Context, prefixes []string, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		repos, versions, err := s.SyncPrefixes(ctx, prefixes)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.log.Warn("periodic sync failed; retrying at the next interval", "prefixes", prefixes, "err", err)
		default:
			s.log.Debug("periodic sync", "prefixes", prefixes, "repositories", repos, "versions", versions)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
