// Package catalog is mpakd's catalog: what every published bundle version
// declares (read from OCI indexes, manifests and configs, never from the
// zips), searchable, with exact download counts. The registry stays the
// source of truth: everything here but the download counts can be rebuilt
// from it (mpakd reindex).
//
// Store is written once, against database/sql, by index/sqlstore, whose
// dialects cover what differs between its two databases: index/sqlite
// (the embedded default) and index/postgres (several mpakd replicas
// sharing one database) open them, and both pass the same conformance
// suite in index/storetest.
package catalog

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is matched by lookups of unknown bundles or versions.
var ErrNotFound = errors.New("not found")

// Tool is a tool a bundle declares.
type Tool struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Build is one platform build of a version.
type Build struct {
	// Platform is "os/arch", "os/any" or "any".
	Platform       string `json:"platform"`
	ManifestDigest string `json:"manifest_digest"`
	// LayerDigest is the .mcpb's digest (its sha256 is the MCP Registry's
	// fileSha256); downloads are counted against it.
	LayerDigest string `json:"bundle_digest"`
	Size        int64  `json:"size"`
}

// Version is one published version of a bundle.
type Version struct {
	// Repository is the path within the registry, e.g. "acme/weather".
	Repository string `json:"repository"`
	// Version is the semver from manifest.json; Tag the tag it is under.
	Version string `json:"version"`
	Tag     string `json:"tag"`
	Digest  string `json:"digest"` // the index (or single manifest) digest
	// Prerelease is derived from Version by the stores.
	Prerelease bool `json:"prerelease"`

	Name            string            `json:"name"`
	DisplayName     string            `json:"display_name,omitempty"`
	Description     string            `json:"description"`
	LongDescription string            `json:"long_description,omitempty"`
	Keywords        []string          `json:"keywords,omitempty"`
	Author          string            `json:"author,omitempty"`
	License         string            `json:"license,omitempty"`
	Homepage        string            `json:"homepage,omitempty"`
	SourceURL       string            `json:"source_url,omitempty"`
	ServerType      string            `json:"server_type"`
	ManifestVersion string            `json:"manifest_version"`
	Tools           []Tool            `json:"tools"`
	Prompts         []string          `json:"prompts,omitempty"`
	UserConfigKeys  []string          `json:"user_config_keys,omitempty"`
	Builds          []Build           `json:"builds"`
	Annotations     map[string]string `json:"annotations,omitempty"`
	// Manifest is manifest.json verbatim (the OCI config), for show and the
	// MCP Registry API.
	Manifest []byte `json:"-"`

	// Trust signals, from referrers when present.
	Signed bool `json:"signed"`
	// Level is the certification level 0-4 from a scan verdict signed by a
	// scanner key mpakd trusts (LevelVerified), else 0. ClaimedLevel is
	// the highest level an unverified report states (0 without one): shown
	// as a claim, never as the level.
	Level         int  `json:"level"`
	LevelVerified bool `json:"level_verified"`
	ClaimedLevel  int  `json:"claimed_level,omitempty"`
	// ScanReport is the scan report the level was read from (its JSON
	// verbatim), else the newest unverified one; nil without one.
	ScanReport []byte `json:"-"`
	// Provenance is what the attached signatures and attestations claim
	// (oci/claims.Claims as JSON: signers, SLSA provenance), unverified;
	// nil when nothing is attached.
	Provenance []byte `json:"-"`

	// Yanked is set by a yank record attached to the version in the
	// registry (oci/yank): the version stays listed and pullable by exact
	// version, but is never a bundle's latest. YankReason says why.
	Yanked     bool   `json:"yanked,omitempty"`
	YankReason string `json:"yank_reason,omitempty"`
	// Tampered is the digest the version's tag was found pointing at
	// instead of Digest: moved by something that bypassed mpakd. The
	// catalog keeps Digest, the version as published; empty when the tag
	// holds Digest.
	Tampered string `json:"tampered,omitempty"`

	// PublishedAt is when the catalog first held this version's digest:
	// its publication as the registry saw it, never the bundle's created
	// annotation (reproducible packing pins that to the zip epoch).
	// PutVersion keeps the stored time while the digest stays the same, so
	// re-indexing never moves it; a new digest (an accepted move, or a
	// re-publication after a delete) takes the given time, IndexedAt when
	// zero. IndexedAt is when the version was last indexed (zero on
	// PutVersion: now). Stores keep times to the microsecond.
	PublishedAt time.Time `json:"published_at"`
	IndexedAt   time.Time `json:"indexed_at"`
	// Downloads is the version's total, all platforms and days; PutVersion
	// ignores it.
	Downloads int64 `json:"downloads"`
}

// Bundle is a repository's summary: its newest release and counts.
type Bundle struct {
	Repository string `json:"repository"`
	// Latest is the highest non-prerelease version (else the highest
	// prerelease), with its metadata; yanked versions only when every
	// version is yanked.
	Latest   Version `json:"latest"`
	Versions int     `json:"versions"`
	// Downloads is the repository's total, deleted versions' included.
	Downloads int64 `json:"downloads"`
	// UpdatedAt is the newest publication among its versions.
	UpdatedAt time.Time `json:"updated_at"`
}

// Sort orders search results.
type Sort string

const (
	SortRelevance Sort = "relevance" // full-text rank; downloads for empty queries
	SortDownloads Sort = "downloads"
	SortRecent    Sort = "recent" // UpdatedAt, newest first
	SortName      Sort = "name"   // repository path, the name clients pull by
)

// Query is a search. Zero fields do not filter.
type Query struct {
	// Text is words, all required, the last also matched as a word prefix
	// (search as you type), across the name (and repository path), display
	// name, tool names, keywords, description and, weighted lowest, long
	// description and tool descriptions. Case, accents and punctuation are
	// ignored, so no text is a syntax error; text without letters or
	// digits does not filter.
	Text     string
	Type     string // server type
	OS, Arch string // a build must serve this platform (exact, os/any or any); GOOS/GOARCH names
	MinLevel int
	Signed   *bool
	Sort     Sort // default relevance
	Limit    int  // default 20, at most 100
	Offset   int
	// Facets asks for Results.Facets, where the store can count them
	// (the search engine, registry/search, does; the SQL stores do not).
	Facets bool
}

// Results is a page of bundles (their latest versions) and the total match count.
type Results struct {
	Bundles []Bundle `json:"bundles"`
	Total   int      `json:"total"`
	// Facets counts the matches by each filter's values, when asked for
	// and counted (nil otherwise).
	Facets *Facets `json:"facets,omitempty"`
}

// Facets count a search's matches by server type, platform, level and
// signature. Each facet counts the matches of the text and of every
// filter but its own, so it shows what choosing another value of it would
// find: with type=node, Types still counts python and the rest.
type Facets struct {
	// Types counts by server type.
	Types map[string]int `json:"type"`
	// Platforms counts by build platform ("os/arch", "os/any" or "any"):
	// a bundle counts once for each platform its latest version builds.
	Platforms map[string]int `json:"platform"`
	// Levels counts by certification level, 0 to 4 (a bundle counts at
	// its level only; min_level=n finds the sum from n up).
	Levels map[int]int `json:"level"`
	// Signed and Unsigned count by signature.
	Signed   int `json:"signed"`
	Unsigned int `json:"unsigned"`
}

// Download is a count of downloads of one build on one day (UTC).
type Download struct {
	Repository string
	Version    string
	Platform   string
	Day        time.Time // truncated to the UTC day
	Count      int64
}

// DayCount is a point of a daily series.
type DayCount struct {
	Day   time.Time `json:"day"`
	Count int64     `json:"count"`
}

// Stats are a bundle's downloads.
type Stats struct {
	Total      int64            `json:"total"`
	ByVersion  map[string]int64 `json:"by_version"`
	ByPlatform map[string]int64 `json:"by_platform"`
	Daily      []DayCount       `json:"daily"` // oldest first, days without downloads omitted
	// Rows are the counts as stored, one per version, platform and day,
	// for breakdowns the totals above cannot give (one build's series).
	Rows []Download `json:"-"`
}

// Of is the part of s that matches keep, with its own totals and series.
func (s *Stats) Of(keep func(d *Download) bool) *Stats {
	var rows []Download
	for i := range s.Rows {
		if keep(&s.Rows[i]) {
			rows = append(rows, s.Rows[i])
		}
	}
	return NewStats(rows)
}

// LayerRef is what a bundle layer digest belongs to, for attributing a
// blob GET to a download.
type LayerRef struct {
	Repository string
	Version    string
	Platform   string
	// LayerDigest is the build's .mcpb layer (set by Manifest).
	LayerDigest string
}

// Store keeps the catalog and the counts.
type Store interface {
	// PutVersion inserts or replaces a version (re-indexing is idempotent).
	// The version must be strict semver: it is what orders versions.
	PutVersion(ctx context.Context, v *Version) error
	// DeleteVersion removes a version; its download counts are kept. An
	// unknown version is ErrNotFound.
	DeleteVersion(ctx context.Context, repository, version string) error

	// Lock holds key exclusively among every process sharing the store
	// (mpakd replicas on one PostgreSQL database) until unlock is called,
	// waiting for the holder to unlock or ctx to end. A holder that dies
	// releases its locks. mpakd holds VersionLockKey while it publishes a
	// version, so that of concurrent pushes of one version, wherever they
	// land, exactly one wins and the catalog indexes what the tag holds.
	Lock(ctx context.Context, key string) (unlock func(), err error)

	// Bundle returns a repository's summary, or ErrNotFound.
	Bundle(ctx context.Context, repository string) (*Bundle, error)
	// Versions lists a repository's versions, highest semver first, or
	// ErrNotFound when it has none.
	Versions(ctx context.Context, repository string) ([]Version, error)
	// Version returns one version, or ErrNotFound.
	Version(ctx context.Context, repository, version string) (*Version, error)
	// Search ranks bundles by their latest version's text.
	Search(ctx context.Context, q Query) (*Results, error)
	// Generation is a number that increases with every committed change
	// of versions (PutVersion, DeleteVersion), whichever process made it,
	// and with nothing else: download counts do not change it. Caches of
	// search results are valid while it stays the same (and for as long
	// as they accept stale counts).
	Generation(ctx context.Context) (int64, error)
	// List pages through every version in (repository, semver) order, for
	// the MCP Registry API: after is the "repository@version" of the last
	// item of the previous page ("" for the first), since (if not zero)
	// keeps only versions indexed after it, latestOnly keeps each
	// repository's latest version only.
	List(ctx context.Context, after string, since time.Time, latestOnly bool, limit int) ([]Version, error)

	// Layer tells which build a .mcpb layer digest is, or ErrNotFound.
	Layer(ctx context.Context, repository, digest string) (*LayerRef, error)
	// Manifest tells which build a platform manifest digest is (with its
	// layer digest in LayerDigest), or ErrNotFound; an index digest is not
	// a build. Harbor reports pulls by manifest.
	Manifest(ctx context.Context, repository, digest string) (*LayerRef, error)
	// AddDownloads adds counts; it is called in batches, each counted
	// whole or not at all. Counts may precede the version's indexing.
	AddDownloads(ctx context.Context, ds []Download) error
	// Stats returns a repository's downloads, or ErrNotFound for a
	// repository with neither versions nor downloads.
	Stats(ctx context.Context, repository string) (*Stats, error)

	Close() error
}
