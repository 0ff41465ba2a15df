package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mpak-oci/mpak/registry/index"
)

// versionColumns selects a version (aliased v) with its builds, as a JSON
// array in index order, and its download total, so one query returns whole
// versions: no query per row, and nothing read from another snapshot.
const versionColumns = `v.id, v.repository, v.version, v.prerelease, v.tag, v.digest,
	v.name, v.display_name, v.description, v.long_description, v.keywords, v.author, v.license,
	v.homepage, v.source_url, v.server_type, v.manifest_version, v.tools, v.prompts,
	v.user_config_keys, v.annotations, v.manifest, v.signed, v.level, v.level_verified, v.claimed_level, v.scan_report, v.provenance,
	v.yanked, v.yank_reason, v.tampered, v.published_at, v.indexed_at,
	(SELECT json_group_array(json_object('platform', b.platform, 'manifest_digest', b.manifest_digest,
			'bundle_digest', b.layer_digest, 'size', b.size) ORDER BY b.position)
		FROM builds b WHERE b.version_id = v.id),
	(SELECT coalesce(sum(d.count), 0) FROM downloads d
		WHERE d.repository = v.repository AND d.version = v.version)`

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanVersion reads versionColumns, then extra columns into extra.
func scanVersion(row scanner, extra ...any) (id int64, v index.Version, err error) {
	var (
		keywords, tools, prompts, configKeys, annotations, builds sql.NullString
		published                                                 sql.NullInt64
		indexed                                                   int64
	)
	dest := []any{&id, &v.Repository, &v.Version, &v.Prerelease, &v.Tag, &v.Digest,
		&v.Name, &v.DisplayName, &v.Description, &v.LongDescription, &keywords, &v.Author, &v.License,
		&v.Homepage, &v.SourceURL, &v.ServerType, &v.ManifestVersion, &tools, &prompts,
		&configKeys, &annotations, &v.Manifest, &v.Signed, &v.Level, &v.LevelVerified, &v.ClaimedLevel, &v.ScanReport, &v.Provenance,
		&v.Yanked, &v.YankReason, &v.Tampered, &published, &indexed,
		&builds, &v.Downloads}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return 0, v, err
	}
	for _, c := range []struct {
		name string
		text sql.NullString
		into any
	}{
		{"keywords", keywords, &v.Keywords},
		{"tools", tools, &v.Tools},
		{"prompts", prompts, &v.Prompts},
		{"user_config_keys", configKeys, &v.UserConfigKeys},
		{"annotations", annotations, &v.Annotations},
		{"builds", builds, &v.Builds},
	} {
		if !c.text.Valid {
			continue
		}
		if err := json.Unmarshal([]byte(c.text.String), c.into); err != nil {
			return 0, v, fmt.Errorf("%s@%s: reading %s: %w", v.Repository, v.Version, c.name, err)
		}
	}
	if len(v.Builds) == 0 {
		v.Builds = nil
	}
	if len(v.Manifest) == 0 {
		v.Manifest = nil
	}
	if len(v.ScanReport) == 0 {
		v.ScanReport = nil
	}
	if len(v.Provenance) == 0 {
		v.Provenance = nil
	}
	v.PublishedAt = fromMicros(published)
	v.IndexedAt = time.UnixMicro(indexed).UTC()
	return id, v, nil
}

// jsonColumn is the JSON of a list or map, NULL when it is empty, so an
// empty list and a missing one read back alike (nil).
func jsonColumn[T any](x []T) (any, error) {
	if len(x) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(x)
	return string(b), err
}

func jsonMap(m map[string]string) (any, error) {
	if len(m) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// micros stores a time; the zero time (unknown) is NULL.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func fromMicros(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMicro(n.Int64).UTC()
}

const dayLayout = time.DateOnly
