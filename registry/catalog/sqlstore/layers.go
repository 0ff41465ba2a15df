package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// Layer tells which build a layer digest is. Should two versions share a
// layer (a re-tag of identical content), the highest version has it.
func (s *Store) Layer(ctx context.Context, repository, digest string) (*catalog.LayerRef, error) {
	ref := catalog.LayerRef{Repository: repository}
	err := s.queryRow(ctx, s.read, `SELECT v.version, b.platform FROM builds b
		JOIN versions v ON v.id = b.version_id
		WHERE b.layer_digest = ? AND v.repository = ?
		ORDER BY v.sort_key DESC, v.version DESC LIMIT 1`, digest, repository).Scan(&ref.Version, &ref.Platform)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("layer %s in %s: %w", digest, repository, catalog.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("looking up layer %s in %s: %w", digest, repository, err)
	}
	return &ref, nil
}

// Manifest tells which build a platform manifest digest is. Should two
// versions share a manifest (a re-tag of identical content), the highest
// version has it, as for Layer.
func (s *Store) Manifest(ctx context.Context, repository, digest string) (*catalog.LayerRef, error) {
	ref := catalog.LayerRef{Repository: repository}
	err := s.queryRow(ctx, s.read, `SELECT v.version, b.platform, b.layer_digest FROM builds b
		JOIN versions v ON v.id = b.version_id
		WHERE b.manifest_digest = ? AND v.repository = ?
		ORDER BY v.sort_key DESC, v.version DESC LIMIT 1`, digest, repository).Scan(&ref.Version, &ref.Platform, &ref.LayerDigest)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("manifest %s in %s: %w", digest, repository, catalog.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("looking up manifest %s in %s: %w", digest, repository, err)
	}
	return &ref, nil
}
