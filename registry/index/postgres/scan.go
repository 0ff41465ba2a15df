package postgres

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mpak-oci/mpak/registry/index"
)

// versionColumns selects a version (aliased v) with its builds, as a JSON
// array in index order, and its download total, so one statement returns
// whole versions from one snapshot.
const versionColumns = `v.id, v.repository, v.version, v.prerelease, v.tag, v.digest,
	v.name, v.display_name, v.description, v.long_description, v.keywords, v.author, v.license,
	v.homepage, v.source_url, v.server_type, v.manifest_version, v.tools, v.prompts,
	v.user_config_keys, v.annotations, v.manifest, v.signed, v.level, v.level_verified, v.claimed_level, v.scan_report, v.provenance,
	v.yanked, v.yank_reason, v.tampered, v.published_at, v.indexed_at,
	(SELECT json_agg(json_build_object('platform', b.platform, 'manifest_digest', b.manifest_digest,
			'bundle_digest', b.layer_digest, 'size', b.size) ORDER BY b.position)
		FROM builds b WHERE b.version_id = v.id),
	(SELECT coalesce(sum(d.count), 0)::bigint FROM downloads d
		WHERE d.repository = v.repository AND d.version = v.version)`

// scanVersion reads versionColumns, then extra columns into extra.
func scanVersion(row pgx.Row, extra ...any) (id int64, v index.Version, err error) {
	var (
		keywords, tools, prompts, configKeys, annotations, builds []byte
		published                                                 *time.Time
	)
	dest := []any{&id, &v.Repository, &v.Version, &v.Prerelease, &v.Tag, &v.Digest,
		&v.Name, &v.DisplayName, &v.Description, &v.LongDescription, &keywords, &v.Author, &v.License,
		&v.Homepage, &v.SourceURL, &v.ServerType, &v.ManifestVersion, &tools, &prompts,
		&configKeys, &annotations, &v.Manifest, &v.Signed, &v.Level, &v.LevelVerified, &v.ClaimedLevel, &v.ScanReport, &v.Provenance,
		&v.Yanked, &v.YankReason, &v.Tampered, &published, &v.IndexedAt,
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
	if len(v.Manifest) == 0 {
		v.Manifest = nil
	}
	if len(v.ScanReport) == 0 {
		v.ScanReport = nil
	}
	if len(v.Provenance) == 0 {
		v.Provenance = nil
	}
	if published != nil {
		v.PublishedAt = published.UTC()
	}
	v.IndexedAt = v.IndexedAt.UTC()
	return id, v, nil
}

// jsonColumn is the JSON of a list, NULL when it is empty, so an empty
// list and a missing one read back alike (nil).
func jsonColumn[T any](x []T) ([]byte, error) {
	if len(x) == 0 {
		return nil, nil
	}
	return json.Marshal(x)
}

func jsonMap(m map[string]string) ([]byte, error) {
	if len(m) == 0 {
		return nil, nil
	}
	return json.Marshal(m)
}

// timestamp stores a time; the zero time (unknown) is NULL.
func timestamp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
