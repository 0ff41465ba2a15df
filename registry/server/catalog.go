package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/ingest"
)

// errNoCatalog is returned by maintenance commands of a server without a
// catalog store.
var errNoCatalog = errors.New("no catalog store configured")

// Reindex brings the whole catalog in line with the registry: every
// repository the registry lists or the catalog knows is re-read, versions
// indexed, versions the registry no longer holds pruned, and what could
// not be indexed reported with why. Download counts are kept.
func (s *Server) Reindex(ctx context.Context) ([]*ingest.Report, error) {
	if s.indexer == nil {
		return nil, fmt.Errorf("reindex: %w", errNoCatalog)
	}
	listed, err := s.backend.repos.Repositories(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing repositories: %w", err)
	}
	known, err := s.catalogRepositories(ctx)
	if err != nil {
		return nil, err
	}
	return s.sweep(ctx, union(listed, known))
}

// Sync indexes the named repositories: for upstreams whose catalog cannot
// be listed, and to catch up after missed events.
func (s *Server) Sync(ctx context.Context, repositories []string) ([]*ingest.Report, error) {
	if s.indexer == nil {
		return nil, fmt.Errorf("sync: %w", errNoCatalog)
	}
	return s.sweep(ctx, repositories)
}

// SyncPrefixes re-reads every repository under prefixes (a prefix is a
// repository path or a namespace: "acme" covers "acme/weather"): those the
// registry's _catalog lists, where it lets us list it, and those already
// in the catalog, so registries that hide _catalog (GHCR, Docker Hub) are
// kept current once `mpakd sync REPO` introduced a repository.
func (s *Server) SyncPrefixes(ctx context.Context, prefixes []string) ([]*ingest.Report, error) {
	if s.indexer == nil {
		return nil, fmt.Errorf("sync: %w", errNoCatalog)
	}
	under := func(repo string) bool {
		return slices.ContainsFunc(prefixes, func(p string) bool {
			p = strings.Trim(p, "/")
			return repo == p || strings.HasPrefix(repo, p+"/")
		})
	}
	listed, err := s.backend.repos.Repositories(ctx)
	if err != nil {
		s.log.Debug("sync: the registry's catalog cannot be listed; re-reading the repositories already indexed", "err", err)
	}
	known, err := s.catalogRepositories(ctx)
	if err != nil {
		return nil, err
	}
	return s.sweep(ctx, slices.DeleteFunc(union(listed, known), func(r string) bool { return !under(r) }))
}

// Fsck compares the catalog with the registry for the named repositories
// (all of them when none is named) and changes nothing.
func (s *Server) Fsck(ctx context.Context, repositories []string) ([]ingest.Difference, []ingest.Skip, error) {
	if s.indexer == nil {
		return nil, nil, fmt.Errorf("fsck: %w", errNoCatalog)
	}
	if len(repositories) == 0 {
		listed, err := s.backend.repos.Repositories(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("listing repositories: %w (name them instead: mpakd fsck REPO...)", err)
		}
		known, err := s.catalogRepositories(ctx)
		if err != nil {
			return nil, nil, err
		}
		repositories = union(listed, known)
	}
	var diffs []ingest.Difference
	var skips []ingest.Skip
	for _, repo := range repositories {
		d, sk, err := s.indexer.Check(ctx, repo)
		if err != nil {
			return diffs, skips, err
		}
		diffs = append(diffs, d...)
		for _, k := range sk {
			k.Tag = repo + ":" + k.Tag
			skips = append(skips, k)
		}
	}
	return diffs, skips, nil
}

func (s *Server) sweep(ctx context.Context, repositories []string) ([]*ingest.Report, error) {
	var reports []*ingest.Report
	for _, repo := range repositories {
		rep, err := s.indexer.Repository(ctx, repo)
		if rep != nil {
			reports = append(reports, rep)
			s.countReport(rep)
		}
		if err != nil {
			return reports, err
		}
	}
	return reports, nil
}

func (s *Server) countReport(rep *ingest.Report) {
	s.metrics.indexed.WithLabelValues("indexed").Add(float64(len(rep.Indexed)))
	s.metrics.indexed.WithLabelValues("tampered").Add(float64(len(rep.Tampered)))
	s.metrics.indexed.WithLabelValues("pruned").Add(float64(len(rep.Pruned)))
	for _, k := range rep.Skipped {
		if k.NotBundle {
			s.metrics.indexed.WithLabelValues("skipped").Inc()
		} else {
			s.metrics.indexed.WithLabelValues("unpublishable").Inc()
		}
	}
	if s.counter != nil && (len(rep.Indexed) > 0 || len(rep.Pruned) > 0) {
		s.counter.Invalidate(rep.Repository)
	}
}

// catalogRepositories lists every repository the catalog has versions of.
func (s *Server) catalogRepositories(ctx context.Context) ([]string, error) {
	var out []string
	for after := ""; ; {
		page, err := s.store.List(ctx, after, time.Time{}, true, 1000)
		if err != nil {
			return nil, err
		}
		for i := range page {
			out = append(out, page[i].Repository)
		}
		if len(page) < 1000 {
			return out, nil
		}
		after = catalog.Cursor(&page[len(page)-1])
	}
}

// union is the sorted, de-duplicated union of repository lists.
func union(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
