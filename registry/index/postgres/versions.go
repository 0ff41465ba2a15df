package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mpak-oci/mpak/registry/index"
	"github.com/mpak-oci/mpak/registry/index/internal/fulltext"
	"github.com/mpak-oci/mpak/registry/index/internal/platform"
)

// keepFirstSeen is published_at on a re-put: the time the catalog first
// held this digest stays while the version keeps it (every re-index, a
// tamper mark, a yank); other bytes under the version (an accepted move)
// are a new publication. SET expressions read the row before the update,
// so versions.digest is the stored one.
const keepFirstSeen = `CASE WHEN versions.digest = EXCLUDED.digest AND versions.published_at IS NOT NULL
	THEN versions.published_at ELSE EXCLUDED.published_at END`

// PutVersion inserts or replaces a version with its builds and refreshes
// its bundle. Re-putting a version keeps its row id, so the bundle's
// pointer to it stays valid.
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
	args := append([]any{v.Repository, v.Version, key, index.IsPrerelease(v.Version)},
		append(cols, published, indexed)...)
	err = s.write(ctx, func(tx pgx.Tx) error {
		bundleID, err := lockBundle(ctx, tx, v.Repository)
		if err != nil {
			return err
		}
		var id int64
		err = tx.QueryRow(ctx, `INSERT INTO versions (repository, version, sort_key, prerelease,
			tag, digest, name, display_name, description, long_description, keywords, author, license,
			homepage, source_url, server_type, manifest_version, tools, prompts, user_config_keys,
			annotations, manifest, signed, level, level_verified, claimed_level, scan_report, provenance, yanked, yank_reason, tampered,
			published_at, indexed_at)
			VALUES (`+placeholders(1, len(args))+`)
			ON CONFLICT (repository, version) DO UPDATE SET sort_key = EXCLUDED.sort_key,
				prerelease = EXCLUDED.prerelease, tag = EXCLUDED.tag, digest = EXCLUDED.digest,
				name = EXCLUDED.name, display_name = EXCLUDED.display_name,
				description = EXCLUDED.description, long_description = EXCLUDED.long_description,
				keywords = EXCLUDED.keywords, author = EXCLUDED.author, license = EXCLUDED.license,
				homepage = EXCLUDED.homepage, source_url = EXCLUDED.source_url,
				server_type = EXCLUDED.server_type, manifest_version = EXCLUDED.manifest_version,
				tools = EXCLUDED.tools, prompts = EXCLUDED.prompts,
				user_config_keys = EXCLUDED.user_config_keys, annotations = EXCLUDED.annotations,
				manifest = EXCLUDED.manifest, signed = EXCLUDED.signed, level = EXCLUDED.level,
				level_verified = EXCLUDED.level_verified, claimed_level = EXCLUDED.claimed_level,
				scan_report = EXCLUDED.scan_report, provenance = EXCLUDED.provenance,
				yanked = EXCLUDED.yanked, yank_reason = EXCLUDED.yank_reason, tampered = EXCLUDED.tampered,
				published_at = `+keepFirstSeen+`, indexed_at = EXCLUDED.indexed_at
			RETURNING id`, args...).Scan(&id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM builds WHERE version_id = $1`, id); err != nil {
			return err
		}
		var platforms, manifests, layers []string
		var sizes []int64
		for _, b := range v.Builds {
			platforms, manifests = append(platforms, b.Platform), append(manifests, b.ManifestDigest)
			layers, sizes = append(layers, b.LayerDigest), append(sizes, b.Size)
		}
		if len(v.Builds) > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO builds (version_id, position, platform, manifest_digest,
				layer_digest, size)
				SELECT $1, b.ord - 1, b.platform, b.manifest_digest, b.layer_digest, b.size
				FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[])
					WITH ORDINALITY AS b (platform, manifest_digest, layer_digest, size, ord)`,
				id, platforms, manifests, layers, sizes); err != nil {
				return err
			}
		}
		return refreshBundle(ctx, tx, bundleID, v.Repository)
	})
	if err != nil {
		return fmt.Errorf("indexing %s@%s: %w", v.Repository, v.Version, err)
	}
	return nil
}

// lockBundle creates the repository's bundles row if need be and locks it
// until the transaction ends. Every writer of a repository's versions
// takes this lock first, so concurrent puts and deletes from several
// replicas apply one after the other and the last one computes the latest
// version from everything committed.
func lockBundle(ctx context.Context, tx pgx.Tx, repository string) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO bundles (repository) VALUES ($1)
		ON CONFLICT (repository) DO UPDATE SET repository = EXCLUDED.repository
		RETURNING id`, repository).Scan(&id)
	return id, err
}

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
	var manifest, scanReport, provenance []byte
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

// placeholders is "$from, ..., $(from+n-1)".
func placeholders(from, n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = "$" + strconv.Itoa(from+i)
	}
	return strings.Join(ps, ", ")
}

// DeleteVersion removes a version and its builds; its download counts
// stay. An unknown version is ErrNotFound.
func (s *Store) DeleteVersion(ctx context.Context, repository, version string) error {
	err := s.write(ctx, func(tx pgx.Tx) error {
		var bundleID int64
		err := tx.QueryRow(ctx, `SELECT id FROM bundles WHERE repository = $1 FOR UPDATE`, repository).Scan(&bundleID)
		if errors.Is(err, pgx.ErrNoRows) {
			return index.ErrNotFound
		}
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM versions WHERE repository = $1 AND version = $2`, repository, version)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return index.ErrNotFound
		}
		return refreshBundle(ctx, tx, bundleID, repository)
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
func refreshBundle(ctx context.Context, tx pgx.Tx, bundleID int64, repository string) error {
	latestID, latest, err := scanVersion(tx.QueryRow(ctx, `SELECT `+versionColumns+`
		FROM versions v WHERE v.repository = $1
		ORDER BY v.yanked, v.prerelease, v.sort_key DESC, v.version DESC LIMIT 1`, repository))
	if errors.Is(err, pgx.ErrNoRows) {
		// The row stays while it carries downloads: Stats still reports them.
		if _, err := tx.Exec(ctx, `DELETE FROM bundles WHERE id = $1 AND downloads = 0`, bundleID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE bundles SET latest_id = NULL, server_type = NULL, level = NULL,
			signed = NULL, platforms = NULL, versions = 0, updated_at = NULL WHERE id = $1`, bundleID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM bundle_documents WHERE bundle_id = $1`, bundleID); err != nil {
			return err
		}
		return bumpGeneration(ctx, tx)
	}
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE bundles SET latest_id = $2, server_type = $4, level = $5, signed = $6,
			platforms = $7,
			versions = (SELECT count(*) FROM versions WHERE repository = $3),
			updated_at = (SELECT max(coalesce(published_at, indexed_at)) FROM versions WHERE repository = $3)
		WHERE id = $1`, bundleID, latestID, repository, latest.ServerType, latest.Level, latest.Signed,
		platform.List(latest.Builds)); err != nil {
		return err
	}
	doc := fulltext.New(&latest)
	if _, err := tx.Exec(ctx, `INSERT INTO bundle_documents (bundle_id, document)
		VALUES ($1, setweight(to_tsvector('simple', $2), 'A') || setweight(to_tsvector('simple', $3), 'B')
			|| setweight(to_tsvector('simple', $4), 'C') || setweight(to_tsvector('simple', $5), 'D'))
		ON CONFLICT (bundle_id) DO UPDATE SET document = EXCLUDED.document`,
		bundleID, doc.Name, doc.DisplayName+" "+doc.Tools, doc.Keywords+" "+doc.Description, doc.Details); err != nil {
		return err
	}
	return bumpGeneration(ctx, tx)
}

// bumpGeneration marks the catalog changed, last in a writer's transaction
// so the row lock every writer needs is held only until its commit.
func bumpGeneration(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `UPDATE catalog_generation SET generation = generation + 1`)
	return err
}

// Generation is the catalog's change counter.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var g int64
	if err := s.pool.QueryRow(ctx, `SELECT generation FROM catalog_generation`).Scan(&g); err != nil {
		return 0, fmt.Errorf("reading the catalog generation: %w", err)
	}
	return g, nil
}

// Version returns one version, or ErrNotFound.
func (s *Store) Version(ctx context.Context, repository, version string) (*index.Version, error) {
	_, v, err := scanVersion(s.pool.QueryRow(ctx, `SELECT `+versionColumns+`
		FROM versions v WHERE v.repository = $1 AND v.version = $2`, repository, version))
	if errors.Is(err, pgx.ErrNoRows) {
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
	vs, err := s.queryVersions(ctx, `SELECT `+versionColumns+` FROM versions v WHERE v.repository = $1
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
	rows, err := s.pool.Query(ctx, query, args...)
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
	b, err := scanBundle(s.pool.QueryRow(ctx, `SELECT `+versionColumns+`, bu.versions, bu.downloads, bu.updated_at
		FROM bundles bu JOIN versions v ON v.id = bu.latest_id WHERE bu.repository = $1`, repository))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("bundle %s: %w", repository, index.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading bundle %s: %w", repository, err)
	}
	return b, nil
}

// scanBundle reads versionColumns (the latest version) and the bundle's
// versions, downloads and updated_at, then extra.
func scanBundle(row pgx.Row, extra ...any) (*index.Bundle, error) {
	var (
		b       index.Bundle
		updated *time.Time
	)
	_, latest, err := scanVersion(row, append([]any{&b.Versions, &b.Downloads, &updated}, extra...)...)
	if err != nil {
		return nil, err
	}
	b.Repository, b.Latest = latest.Repository, latest
	if updated != nil {
		b.UpdatedAt = updated.UTC()
	}
	return &b, nil
}

// Layer tells which build a layer digest is. Should two versions share a
// layer (a re-tag of identical content), the highest version has it.
func (s *Store) Layer(ctx context.Context, repository, digest string) (*index.LayerRef, error) {
	ref := index.LayerRef{Repository: repository}
	err := s.pool.QueryRow(ctx, `SELECT v.version, b.platform FROM builds b
		JOIN versions v ON v.id = b.version_id
		WHERE b.layer_digest = $1 AND v.repository = $2
		ORDER BY v.sort_key DESC, v.version DESC LIMIT 1`, digest, repository).Scan(&ref.Version, &ref.Platform)
	if errors.Is(err, pgx.ErrNoRows) {
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
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if after != "" {
		repository, version, key, err := index.ParseCursor(after)
		if err != nil {
			return nil, err
		}
		where = append(where, `(v.repository, v.sort_key, v.version) > (`+arg(repository)+`, `+arg(key)+`, `+arg(version)+`)`)
	}
	if !since.IsZero() {
		where = append(where, `v.indexed_at > `+arg(since))
	}
	if latestOnly {
		where = append(where, `v.id IN (SELECT latest_id FROM bundles WHERE latest_id IS NOT NULL)`)
	}
	query := `SELECT ` + versionColumns + ` FROM versions v`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY v.repository, v.sort_key, v.version LIMIT ` + arg(index.ListLimit(limit))
	vs, err := s.queryVersions(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("listing versions: %w", err)
	}
	return vs, nil
}
