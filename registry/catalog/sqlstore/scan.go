package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// versionColumns selects a version (aliased v) with its builds, as a JSON
// array in index order, and its download total, so one statement returns
// whole versions: no query per row, and nothing read from another
// snapshot.
func versionColumns(d Dialect) string {
	return `v.id, v.repository, v.version, v.prerelease, v.tag, v.digest,
	v.name, v.display_name, v.description, v.long_description, v.keywords, v.author, v.license,
	v.homepage, v.source_url, v.server_type, v.manifest_version, v.tools, v.prompts,
	v.user_config_keys, v.annotations, v.manifest, v.signed, v.level, v.level_verified, v.claimed_level, v.scan_report, v.provenance,
	v.yanked, v.yank_reason, v.tampered, v.published_at, v.indexed_at,
	(SELECT ` + d.jsonArrayAgg() + `(` + d.jsonObject() + `('platform', b.platform, 'manifest_digest', b.manifest_digest,
			'bundle_digest', b.layer_digest, 'size', b.size) ORDER BY b.position)
		FROM builds b WHERE b.version_id = v.id),
	(SELECT CAST(coalesce(sum(d.count), 0) AS bigint) FROM downloads d
		WHERE d.repository = v.repository AND d.version = v.version)`
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanVersion reads versionColumns, then extra columns into extra.
func scanVersion(row scanner, extra ...any) (id int64, v catalog.Version, err error) {
	var (
		keywords, tools, prompts, configKeys, annotations, builds []byte
		published, indexed                                        timeValue
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
		json []byte
		into any
	}{
		{"keywords", keywords, &v.Keywords},
		{"tools", tools, &v.Tools},
		{"prompts", prompts, &v.Prompts},
		{"user_config_keys", configKeys, &v.UserConfigKeys},
		{"annotations", annotations, &v.Annotations},
		{"builds", builds, &v.Builds},
	} {
		if c.json == nil {
			continue
		}
		if err := json.Unmarshal(c.json, c.into); err != nil {
			return 0, v, fmt.Errorf("%s@%s: reading %s: %w", v.Repository, v.Version, c.name, err)
		}
	}
	// Empty and missing read back alike: nil. (SQLite aggregates no
	// builds into [], PostgreSQL into NULL.)
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
	v.PublishedAt, v.IndexedAt = published.Time, indexed.Time
	return id, v, nil
}

// scanBundle reads versionColumns (the latest version) and the bundle's
// versions, downloads and updated_at, then extra.
func scanBundle(row scanner, extra ...any) (*catalog.Bundle, error) {
	var (
		b       catalog.Bundle
		updated timeValue
	)
	_, latest, err := scanVersion(row, append([]any{&b.Versions, &b.Downloads, &updated}, extra...)...)
	if err != nil {
		return nil, err
	}
	b.Repository, b.Latest, b.UpdatedAt = latest.Repository, latest, updated.Time
	return &b, nil
}

// jsonColumn is the JSON of a list, NULL when it is empty, so an empty
// list and a missing one read back alike (nil).
func jsonColumn[T any](d Dialect, x []T) (any, error) {
	if len(x) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(x)
	return d.json(b), err
}

func jsonMap(d Dialect, m map[string]string) (any, error) {
	if len(m) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(m)
	return d.json(b), err
}

// blob stores bytes; none is NULL. (A nil []byte is not NULL to every
// driver: SQLite's stores an empty blob.)
func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// timeValue reads a time column in either dialect's encoding: Unix
// microseconds or a 'YYYY-MM-DD' day (SQLite), or a timestamp or date
// (PostgreSQL). NULL is the zero time. Times read back in UTC.
type timeValue struct{ time.Time }

func (t *timeValue) Scan(src any) error {
	switch src := src.(type) {
	case nil:
		t.Time = time.Time{}
	case int64:
		t.Time = time.UnixMicro(src).UTC()
	case time.Time:
		t.Time = src.UTC()
	case string:
		return t.parseDay(src)
	case []byte:
		return t.parseDay(string(src))
	default:
		return fmt.Errorf("reading a time from %T", src)
	}
	return nil
}

func (t *timeValue) parseDay(s string) error {
	day, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return fmt.Errorf("day %q: %w", s, err)
	}
	t.Time = day
	return nil
}

var _ sql.Scanner = (*timeValue)(nil)
