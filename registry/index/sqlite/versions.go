package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mpak-oci/mpak/registry/index"
	"github.com/mpak-oci/mpak/registry/index/internal/fulltext"
	"github.com/mpak-oci/mpak/registry/index/internal/platform"
)

// PutVersion inserts or replaces a version with its builds and refreshes
// its bundle. Re-putting a version keeps its row id, so the bundle's
// pointer to it and its search text stay valid.
func (s *Store) PutVersion(ctx context.Context, v *index.Version) error {
	if v.Repository == "" {
		return fmt.Errorf("indexing version %s: no repository", v.Version)
	}
	key, err := index.SortKey(v.Version)
	if err != nil {
		return fmt.Errorf("indexing %s: %w: fix the version in manifest.json", v.Repository, err)
	}
	cols, err := versionValues(v)
	if err != nil {
		return fmt.Errorf("indexing %s@%s: %w", v.Repository, v.Version, err)
	}
	indexed := v.IndexedAt
	if indexed.IsZero() {
		indexed = s.now()
	}
	published := v.PublishedAt
	if published.IsZero() {
		published = indexed
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO versions (repository, version, sort_key, prerelease,
			tag, digest, name, display_name, description, long_description, keywords, author, license,
			homepage, source_url, server_type, manifest_version, tools, prompts, user_config_keys,
			annotations, manifest, signed, level, level_verified, claimed_level, scan_report, provenance, yanked, yank_reason, tampered,
			published_at, indexed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (repository, version) DO UPDATE SET sort_key = excluded.sort_key,
				prerelease = excluded.prerelease, tag = excluded.tag, digest = excluded.digest,
				name = excluded.name, display_name = excluded.display_name,
				description = excluded.description, long_description = excluded.long_description,
				keywords = excluded.keywords, author = excluded.author, license = excluded.license,
				homepage = excluded.homepage, source_url = excluded.source_url,
				server_type = excluded.server_type, manifest_version = excluded.manifest_version,
				tools = excluded.tools, prompts = excluded.prompts,
				user_config_keys = excluded.user_config_keys, annotations = excluded.annotations,
				manifest = excluded.manifest, signed = excluded.signed, level = excluded.level,
				level_verified = excluded.level_verified, claimed_level = excluded.claimed_level,
				scan_report = excluded.scan_report, provenance = excluded.provenance,
				yanked = excluded.yanked, yank_reason = excluded.yank_reason, tampered = excluded.tampered,
				published_at = `+keepFirstSeen+`, indexed_at = excluded.indexed_at
			RETURNING id`,
			append([]any{v.Repository, v.Version, key, index.IsPrerelease(v.Version)},
				append(cols, published.UnixMicro(), indexed.UnixMicro())...)...).Scan(&id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM builds WHERE version_id = ?`, id); err != nil {
			return err
		}
		for i, b := range v.Builds {
			if _, err := tx.ExecContext(ctx, `INSERT INTO builds (version_id, position, platform,
				manifest_digest, layer_digest, size) VALUES (?, ?, ?, ?, ?, ?)`,
				id, i, b.Platform, b.ManifestDigest, b.LayerDigest, b.Size); err != nil {
				return err
			}
		}
		return refreshBundle(ctx, tx, v.Repository)
	})
	if err != nil {
		return fmt.Errorf("indexing %s@%s: %w", v.Repository, v.Version, err)
	}
	return nil
}

// keepFirstSeen is published_at on a re-put: the time the catalog first
// held this digest stays while the version keeps it (every re-index, a
// tamper mark, a yank); other bytes under the version (an accepted move)
// are a new publication. SET expressions read the row before the update,
// so versions.digest is the stored one.
const keepFirstSeen = `CASE WHEN versions.digest = excluded.digest AND versions.published_at IS NOT NULL
	THEN versions.published_at ELSE excluded.published_at END`

// versionValues are the columns from tag to tampered, in versionColumns order.
func versionValues(v *index.Version) ([]any, error) {
	keywords, err := jsonColumn(v.Keywords)
	if err != nil {
		return nil, err
	}
	tools, err := jsonColumn(v.Tools)
	if err != nil {
		return nil, err
	}
	prompts, err := jsonColumn(v.Prompts)
	if err != nil {
		return nil, err
	}
	configKeys, err := jsonColumn(v.UserConfigKeys)
	if err != nil {
		return nil, err
	}
	annotations, err := jsonMap(v.Annotations)
	if err != nil {
		return nil, err
	}
	var manifest, scanReport, provenance any
	if len(v.Manifest) > 0 {
		manifest = v.Manifest
	}
	if len(v.ScanReport) > 0 {
		scanReport = v.ScanReport
	}
	if len(v.Provenance) > 0 {
		provenance = v.Provenance
	}
	return []any{v.Tag, v.Digest, v.Name, v.DisplayName, v.Description, v.LongDescription,
		keywords, v.Author, v.License, v.Homepage, v.SourceURL, v.ServerType, v.ManifestVersion,
		tools, prompts, configKeys, annotations, manifest, v.Signed, v.Level, v.LevelVerified, v.ClaimedLevel, scanReport, provenance,
		v.Yanked, v.YankReason, v.Tampered}, nil
}

// DeleteVersion removes a version and its builds; its download counts
// stay. An unknown version is ErrNotFound.
func (s *Store) DeleteVersion(ctx context.Context, repository, version string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM versions WHERE repository = ? AND version = ?`, repository, version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return index.ErrNotFound
		}
		return refreshBundle(ctx, tx, repository)
	})
	if err != nil {
		return fmt.Errorf("deleting %s@%s: %w", repository, version, err)
	}
	return nil
}

// refreshBundle recomputes a repository's bundle row and search text after
// its versions changed: latest is the highest release, else the highest
// prerelease; updated_at is the newest publication.
func refreshBundle(ctx context.Context, tx *sql.Tx, repository string) error {
	var bundleID int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO bundles (repository) VALUES (?)
		ON CONFLICT (repository) DO UPDATE SET repository = excluded.repository
		RETURNING id`, repository).Scan(&bundleID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM bundle_text WHERE rowid = ?`, bundleID); err != nil {
		return err
	}
	latestID, latest, err := scanVersion(tx.QueryRowContext(ctx, `SELECT `+versionColumns+`
		FROM versions v WHERE v.repository = ?
		ORDER BY v.yanked, v.prerelease, v.sort_key DESC, v.version DESC LIMIT 1`, repository))
	if errors.Is(err, sql.ErrNoRows) {
		// The row stays while it carries downloads: Stats still reports them.
		if _, err := tx.ExecContext(ctx, `DELETE FROM bundles WHERE id = ? AND downloads = 0`, bundleID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE bundles SET latest_id = NULL, server_type = NULL, level = NULL,
			signed = NULL, platforms = NULL, versions = 0, updated_at = NULL WHERE id = ?`, bundleID); err != nil {
			return err
		}
		return bumpGeneration(ctx, tx)
	}
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE bundles SET latest_id = ?, server_type = ?, level = ?, signed = ?,
			platforms = ?,
			versions = (SELECT count(*) FROM versions WHERE repository = ?),
			updated_at = (SELECT max(coalesce(published_at, indexed_at)) FROM versions WHERE repository = ?)
		WHERE id = ?`, latestID, latest.ServerType, latest.Level, latest.Signed, platform.List(latest.Builds),
		repository, repository, bundleID); err != nil {
		return err
	}
	doc := fulltext.New(&latest)
	_, err = tx.ExecContext(ctx, `INSERT INTO bundle_text (rowid, name, display_name, tools, keywords,
		description, details) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		bundleID, doc.Name, doc.DisplayName, doc.Tools, doc.Keywords, doc.Description, doc.Details)
	if err != nil {
		return err
	}
	return bumpGeneration(ctx, tx)
}

// bumpGeneration marks the catalog changed, in the writer's transaction.
func bumpGeneration(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE catalog_generation SET generation = generation + 1`)
	return err
}

// Generation is the catalog's change counter.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var g int64
	if err := s.read.QueryRowContext(ctx, `SELECT generation FROM catalog_generation`).Scan(&g); err != nil {
		return 0, fmt.Errorf("reading the catalog generation: %w", err)
	}
	return g, nil
}

// Version returns one version, or ErrNotFound.
func (s *Store) Version(ctx context.Context, repository, version string) (*index.Version, error) {
	_, v, err := scanVersion(s.read.QueryRowContext(ctx, `SELECT `+versionColumns+`
		FROM versions v WHERE v.repository = ? AND v.version = ?`, repository, version))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("version %s@%s: %w", repository, version, index.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s@%s: %w", repository, version, err)
	}
	return &v, nil
}

// Versions lists a repository's versions, highest semver first, or
// ErrNotFound when it has none.
func (s *Store) Versions(ctx context.Context, repository string) ([]index.Version, error) {
	vs, err := s.queryVersions(ctx, `SELECT `+versionColumns+` FROM versions v WHERE v.repository = ?
		ORDER BY v.sort_key DESC, v.version DESC`, repository)
	if err != nil {
		return nil, fmt.Errorf("listing versions of %s: %w", repository, err)
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("bundle %s: %w", repository, index.ErrNotFound)
	}
	return vs, nil
}

func (s *Store) queryVersions(ctx context.Context, query string, args ...any) ([]index.Version, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	vs := []index.Version{}
	for rows.Next() {
		_, v, err := scanVersion(rows)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}

// Bundle returns a repository's summary, or ErrNotFound.
func (s *Store) Bundle(ctx context.Context, repository string) (*index.Bundle, error) {
	b, err := scanBundle(s.read.QueryRowContext(ctx, `SELECT `+versionColumns+`, bu.versions, bu.downloads, bu.updated_at
		FROM bundles bu JOIN versions v ON v.id = bu.latest_id WHERE bu.repository = ?`, repository))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("bundle %s: %w", repository, index.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading bundle %s: %w", repository, err)
	}
	return b, nil
}

// scanBundle reads versionColumns (the latest version) and the bundle's
// versions, downloads and updated_at, then extra.
func scanBundle(row scanner, extra ...any) (*index.Bundle, error) {
	var (
		b       index.Bundle
		updated sql.NullInt64
	)
	_, latest, err := scanVersion(row, append([]any{&b.Versions, &b.Downloads, &updated}, extra...)...)
	if err != nil {
		return nil, err
	}
	b.Repository, b.Latest, b.UpdatedAt = latest.Repository, latest, fromMicros(updated)
	return &b, nil
}

// Layer tells which build a layer digest is. Should two versions share a
// layer (a re-tag of identical content), the highest version has it.
func (s *Store) Layer(ctx context.Context, repository, digest string) (*index.LayerRef, error) {
	ref := index.LayerRef{Repository: repository}
	err := s.read.QueryRowContext(ctx, `SELECT v.version, b.platform FROM builds b
		JOIN versions v ON v.id = b.version_id
		WHERE b.layer_digest = ? AND v.repository = ?
		ORDER BY v.sort_key DESC, v.version DESC LIMIT 1`, digest, repository).Scan(&ref.Version, &ref.Platform)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("layer %s in %s: %w", digest, repository, index.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("looking up layer %s in %s: %w", digest, repository, err)
	}
	return &ref, nil
}

// List pages through versions in (repository, semver) order.
func (s *Store) List(ctx context.Context, after string, since time.Time, latestOnly bool, limit int) ([]index.Version, error) {
	var (
		where []string
		args  []any
	)
	if after != "" {
		repository, version, key, err := index.ParseCursor(after)
		if err != nil {
			return nil, err
		}
		where = append(where, `(v.repository, v.sort_key, v.version) > (?, ?, ?)`)
		args = append(args, repository, key, version)
	}
	if !since.IsZero() {
		where = append(where, `v.indexed_at > ?`)
		args = append(args, since.UnixMicro())
	}
	if latestOnly {
		where = append(where, `v.id IN (SELECT latest_id FROM bundles WHERE latest_id IS NOT NULL)`)
	}
	query := `SELECT ` + versionColumns + ` FROM versions v`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY v.repository, v.sort_key, v.version LIMIT ?`
	vs, err := s.queryVersions(ctx, query, append(args, index.ListLimit(limit))...)
	if err != nil {
		return nil, fmt.Errorf("listing versions: %w", err)
	}
	return vs, nil
}
