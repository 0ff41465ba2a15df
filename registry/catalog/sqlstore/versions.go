package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/internal/fulltext"
	"github.com/mpak-oci/mpak/registry/internal/platform"
)

// PutVersion inserts or replaces a version with its builds and refreshes
// its bundle. Re-putting a version keeps its row id, so the bundle's
// pointer to it and its search document stay valid.
func (s *Store) PutVersion(ctx context.Context, v *catalog.Version) error {
	if v.Repository == "" {
		return fmt.Errorf("indexing version %s: no repository", v.Version)
	}
	key, err := catalog.SortKey(v.Version)
	if err != nil {
		return fmt.Errorf("indexing %s: %w: fix the version in manifest.json", v.Repository, err)
	}
	cols, err := s.versionValues(v)
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
	args := append([]any{v.Repository, v.Version, key, catalog.IsPrerelease(v.Version)},
		append(cols, s.d.time(published), s.d.time(indexed))...)
	err = s.write(ctx, func(tx *sql.Tx) error {
		bundleID, err := s.lockBundle(ctx, tx, v.Repository)
		if err != nil {
			return err
		}
		var id int64
		err = s.queryRow(ctx, tx, `INSERT INTO versions (repository, version, sort_key, prerelease,
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
			RETURNING id`, args...).Scan(&id)
		if err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM builds WHERE version_id = ?`, id); err != nil {
			return err
		}
		if len(v.Builds) > 0 {
			// One statement for every build: one round trip to a server.
			values := make([]string, len(v.Builds))
			var args []any
			for i, b := range v.Builds {
				values[i] = `(?, ?, ?, ?, ?, ?)`
				args = append(args, id, i, b.Platform, b.ManifestDigest, b.LayerDigest, b.Size)
			}
			if _, err := s.exec(ctx, tx, `INSERT INTO builds (version_id, position, platform,
				manifest_digest, layer_digest, size) VALUES `+strings.Join(values, `, `), args...); err != nil {
				return err
			}
		}
		return s.refreshBundle(ctx, tx, bundleID, v.Repository)
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

// lockBundle creates the repository's bundles row if need be and locks it
// until the transaction ends, as every writer of a repository's versions
// does first (see the package documentation).
func (s *Store) lockBundle(ctx context.Context, tx *sql.Tx, repository string) (int64, error) {
	var id int64
	err := s.queryRow(ctx, tx, `INSERT INTO bundles (repository) VALUES (?)
		ON CONFLICT (repository) DO UPDATE SET repository = excluded.repository
		RETURNING id`, repository).Scan(&id)
	return id, err
}

// versionValues are the columns from tag to tampered, in versionColumns order.
func (s *Store) versionValues(v *catalog.Version) ([]any, error) {
	keywords, err := jsonColumn(s.d, v.Keywords)
	if err != nil {
		return nil, err
	}
	tools, err := jsonColumn(s.d, v.Tools)
	if err != nil {
		return nil, err
	}
	prompts, err := jsonColumn(s.d, v.Prompts)
	if err != nil {
		return nil, err
	}
	configKeys, err := jsonColumn(s.d, v.UserConfigKeys)
	if err != nil {
		return nil, err
	}
	annotations, err := jsonMap(s.d, v.Annotations)
	if err != nil {
		return nil, err
	}
	return []any{v.Tag, v.Digest, v.Name, v.DisplayName, v.Description, v.LongDescription,
		keywords, v.Author, v.License, v.Homepage, v.SourceURL, v.ServerType, v.ManifestVersion,
		tools, prompts, configKeys, annotations, blob(v.Manifest), v.Signed, v.Level, v.LevelVerified, v.ClaimedLevel,
		blob(v.ScanReport), blob(v.Provenance), v.Yanked, v.YankReason, v.Tampered}, nil
}

// DeleteVersion removes a version and its builds; its download counts
// stay. An unknown version is ErrNotFound.
func (s *Store) DeleteVersion(ctx context.Context, repository, version string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		var bundleID int64
		err := s.queryRow(ctx, tx, `SELECT id FROM bundles WHERE repository = ?`+s.d.forUpdate(), repository).Scan(&bundleID)
		if errors.Is(err, sql.ErrNoRows) {
			return catalog.ErrNotFound
		}
		if err != nil {
			return err
		}
		res, err := s.exec(ctx, tx, `DELETE FROM versions WHERE repository = ? AND version = ?`, repository, version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return catalog.ErrNotFound
		}
		return s.refreshBundle(ctx, tx, bundleID, repository)
	})
	if err != nil {
		return fmt.Errorf("deleting %s@%s: %w", repository, version, err)
	}
	return nil
}

// refreshBundle recomputes a locked bundles row after its versions
// changed: latest is the highest release, else the highest prerelease;
// updated_at is the newest publication; the search document is the
// latest's text.
func (s *Store) refreshBundle(ctx context.Context, tx *sql.Tx, bundleID int64, repository string) error {
	latestID, latest, err := scanVersion(s.queryRow(ctx, tx, `SELECT `+s.versionColumns+`
		FROM versions v WHERE v.repository = ?
		ORDER BY v.yanked, v.prerelease, v.sort_key DESC, v.version DESC LIMIT 1`, repository))
	if errors.Is(err, sql.ErrNoRows) {
		if err := s.d.setDocument(ctx, tx, bundleID, nil); err != nil {
			return err
		}
		// The row stays while it carries downloads: Stats still reports them.
		if _, err := s.exec(ctx, tx, `DELETE FROM bundles WHERE id = ? AND downloads = 0`, bundleID); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `UPDATE bundles SET latest_id = NULL, server_type = NULL, level = NULL,
			signed = NULL, platforms = NULL, versions = 0, updated_at = NULL WHERE id = ?`, bundleID); err != nil {
			return err
		}
		if err := bumpGeneration(ctx, tx); err != nil {
			return err
		}
		return s.logChange(ctx, tx, repository)
	}
	if err != nil {
		return err
	}
	if _, err := s.exec(ctx, tx, `UPDATE bundles SET latest_id = ?, server_type = ?, level = ?, signed = ?,
			platforms = ?,
			versions = (SELECT count(*) FROM versions WHERE repository = ?),
			updated_at = (SELECT max(coalesce(published_at, indexed_at)) FROM versions WHERE repository = ?)
		WHERE id = ?`, latestID, latest.ServerType, latest.Level, latest.Signed, platform.List(latest.Builds),
		repository, repository, bundleID); err != nil {
		return err
	}
	doc := fulltext.New(&latest)
	if err := s.d.setDocument(ctx, tx, bundleID, &doc); err != nil {
		return err
	}
	if err := bumpGeneration(ctx, tx); err != nil {
		return err
	}
	return s.logChange(ctx, tx, repository)
}

// bumpGeneration marks the catalog changed, last in a writer's transaction
// so the row lock every writer needs is held only until its commit.
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
func (s *Store) Version(ctx context.Context, repository, version string) (*catalog.Version, error) {
	_, v, err := scanVersion(s.queryRow(ctx, s.read, `SELECT `+s.versionColumns+`
		FROM versions v WHERE v.repository = ? AND v.version = ?`, repository, version))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("version %s@%s: %w", repository, version, catalog.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s@%s: %w", repository, version, err)
	}
	return &v, nil
}

// Versions lists a repository's versions, highest semver first, or
// ErrNotFound when it has none.
func (s *Store) Versions(ctx context.Context, repository string) ([]catalog.Version, error) {
	vs, err := s.queryVersions(ctx, `SELECT `+s.versionColumns+` FROM versions v WHERE v.repository = ?
		ORDER BY v.sort_key DESC, v.version DESC`, repository)
	if err != nil {
		return nil, fmt.Errorf("listing versions of %s: %w", repository, err)
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("bundle %s: %w", repository, catalog.ErrNotFound)
	}
	return vs, nil
}

func (s *Store) queryVersions(ctx context.Context, query string, args ...any) ([]catalog.Version, error) {
	rows, err := s.query(ctx, s.read, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	vs := []catalog.Version{}
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
func (s *Store) Bundle(ctx context.Context, repository string) (*catalog.Bundle, error) {
	b, err := scanBundle(s.queryRow(ctx, s.read, `SELECT `+s.versionColumns+`, bu.versions, bu.downloads, bu.updated_at
		FROM bundles bu JOIN versions v ON v.id = bu.latest_id WHERE bu.repository = ?`, repository))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("bundle %s: %w", repository, catalog.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading bundle %s: %w", repository, err)
	}
	return b, nil
}

// List pages through versions in (repository, semver) order.
func (s *Store) List(ctx context.Context, after string, since time.Time, latestOnly bool, limit int) ([]catalog.Version, error) {
	var (
		where []string
		args  []any
	)
	if after != "" {
		repository, version, key, err := catalog.ParseCursor(after)
		if err != nil {
			return nil, err
		}
		where = append(where, `(v.repository, v.sort_key, v.version) > (?, ?, ?)`)
		args = append(args, repository, key, version)
	}
	if !since.IsZero() {
		where = append(where, `v.indexed_at > ?`)
		args = append(args, s.d.time(since))
	}
	if latestOnly {
		where = append(where, `v.id IN (SELECT latest_id FROM bundles WHERE latest_id IS NOT NULL)`)
	}
	query := `SELECT ` + s.versionColumns + ` FROM versions v`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY v.repository, v.sort_key, v.version LIMIT ?`
	vs, err := s.queryVersions(ctx, query, append(args, catalog.ListLimit(limit))...)
	if err != nil {
		return nil, fmt.Errorf("listing versions: %w", err)
	}
	return vs, nil
}
