package server

import (
	"context"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// meteredStore times every catalog call by operation, for /metrics.
type meteredStore struct {
	catalog.Store
	m *metrics
}

func (s meteredStore) observe(op string, start time.Time) {
	s.m.storeLatency.WithLabelValues(op).Observe(time.Since(start).Seconds())
}

func (s meteredStore) PutVersion(ctx context.Context, v *catalog.Version) error {
	defer s.observe("put_version", time.Now())
	return s.Store.PutVersion(ctx, v)
}

func (s meteredStore) DeleteVersion(ctx context.Context, repository, version string) error {
	defer s.observe("delete_version", time.Now())
	return s.Store.DeleteVersion(ctx, repository, version)
}

func (s meteredStore) Bundle(ctx context.Context, repository string) (*catalog.Bundle, error) {
	defer s.observe("bundle", time.Now())
	return s.Store.Bundle(ctx, repository)
}

func (s meteredStore) Versions(ctx context.Context, repository string) ([]catalog.Version, error) {
	defer s.observe("versions", time.Now())
	return s.Store.Versions(ctx, repository)
}

func (s meteredStore) Version(ctx context.Context, repository, version string) (*catalog.Version, error) {
	defer s.observe("version", time.Now())
	return s.Store.Version(ctx, repository, version)
}

func (s meteredStore) Search(ctx context.Context, q catalog.Query) (*catalog.Results, error) {
	defer s.observe("search", time.Now())
	return s.Store.Search(ctx, q)
}

func (s meteredStore) Generation(ctx context.Context) (int64, error) {
	defer s.observe("generation", time.Now())
	return s.Store.Generation(ctx)
}

func (s meteredStore) List(ctx context.Context, after string, since time.Time, latestOnly bool, limit int) ([]catalog.Version, error) {
	defer s.observe("list", time.Now())
	return s.Store.List(ctx, after, since, latestOnly, limit)
}

func (s meteredStore) Layer(ctx context.Context, repository, digest string) (*catalog.LayerRef, error) {
	defer s.observe("layer", time.Now())
	return s.Store.Layer(ctx, repository, digest)
}

func (s meteredStore) Manifest(ctx context.Context, repository, digest string) (*catalog.LayerRef, error) {
	defer s.observe("manifest", time.Now())
	return s.Store.Manifest(ctx, repository, digest)
}

func (s meteredStore) Stats(ctx context.Context, repository string) (*catalog.Stats, error) {
	defer s.observe("stats", time.Now())
	return s.Store.Stats(ctx, repository)
}

func (s meteredStore) AddDownloads(ctx context.Context, ds []catalog.Download) error {
	defer s.observe("add_downloads", time.Now())
	return s.Store.AddDownloads(ctx, ds)
}
