// Package catalogapi is the wire contract of mpakd's JSON API (/v1/bundles)
// and a client for it: what `mpak bundle search` and `mpak bundle show`
// read. The server encodes these types; nothing else is the contract.
package catalogapi

import (
	"encoding/json"
	"time"

	"github.com/mpak-oci/mpak/oci/claims"
)

// Bundle is a search hit: a repository represented by its latest version.
type Bundle struct {
	// Name is "@scope/name" when the repository maps to one, else the
	// repository path.
	Name        string   `json:"name"`
	Repository  string   `json:"repository"`
	Reference   string   `json:"reference"` // host/repository:version, ready to pull (@digest when tampered)
	DisplayName string   `json:"display_name,omitempty"`
	Description string   `json:"description"`
	Version     string   `json:"version"`
	ServerType  string   `json:"server_type"`
	Platforms   []string `json:"platforms"`
	Tools       []string `json:"tools"`
	Downloads   int64    `json:"downloads"`
	Signed      bool     `json:"signed"`
	Level       int      `json:"level"`
	// LevelVerified says a scanner the registry trusts signed Level;
	// ClaimedLevel is a higher level an unsigned report states, shown as
	// "unverified", never as the level.
	LevelVerified bool      `json:"level_verified"`
	ClaimedLevel  int       `json:"claimed_level,omitempty"`
	PublishedAt   time.Time `json:"published_at"`
	// Yanked, YankReason and Tampered describe Version, as in
	// VersionDetail: a bundle's latest is yanked only when all its
	// versions are.
	Yanked     bool   `json:"yanked"`
	YankReason string `json:"yank_reason,omitempty"`
	Tampered   string `json:"tampered,omitempty"`
}

// Pagination describes a page of results.
type Pagination struct {
	Limit   int  `json:"limit"`
	Offset  int  `json:"offset"`
	HasMore bool `json:"has_more"`
}

// SearchResponse is GET /v1/bundles/search.
type SearchResponse struct {
	Bundles    []Bundle   `json:"bundles"`
	Total      int        `json:"total"`
	Pagination Pagination `json:"pagination"`
}

// Tool is a declared tool.
type Tool struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Build is one platform build of a version.
type Build struct {
	Platform       string `json:"platform"`
	ManifestDigest string `json:"manifest_digest"`
	BundleDigest   string `json:"bundle_digest"`
	Size           int64  `json:"size"`
	Downloads      int64  `json:"downloads"`
	// DownloadsDaily is this build's last 90 days, oldest first.
	DownloadsDaily []DayCount `json:"downloads_daily,omitempty"`
}

// VersionSummary is one entry of a version list.
type VersionSummary struct {
	Version     string    `json:"version"`
	Digest      string    `json:"digest"`
	Prerelease  bool      `json:"prerelease"`
	PublishedAt time.Time `json:"published_at"`
	Downloads   int64     `json:"downloads"`
	Platforms   []string  `json:"platforms"`
	Yanked      bool      `json:"yanked"`
	YankReason  string    `json:"yank_reason,omitempty"`
	Tampered    string    `json:"tampered,omitempty"`
}

// VersionDetail is GET /v1/bundles/{name}/versions/{version}.
type VersionDetail struct {
	Name            string         `json:"name"`
	Repository      string         `json:"repository"`
	Reference       string         `json:"reference"`
	Version         string         `json:"version"`
	Digest          string         `json:"digest"`
	Prerelease      bool           `json:"prerelease"`
	DisplayName     string         `json:"display_name,omitempty"`
	Description     string         `json:"description"`
	LongDescription string         `json:"long_description,omitempty"`
	Keywords        []string       `json:"keywords,omitempty"`
	Author          string         `json:"author,omitempty"`
	License         string         `json:"license,omitempty"`
	Homepage        string         `json:"homepage,omitempty"`
	SourceURL       string         `json:"source_url,omitempty"`
	ServerType      string         `json:"server_type"`
	ManifestVersion string         `json:"manifest_version"`
	Tools           []Tool         `json:"tools"`
	Prompts         []string       `json:"prompts,omitempty"`
	UserConfigKeys  []string       `json:"user_config_keys,omitempty"`
	Builds          []Build        `json:"builds"`
	Annotations     map[string]any `json:"annotations,omitempty"`
	Signed          bool           `json:"signed"`
	Level           int            `json:"level"`
	// LevelVerified and ClaimedLevel are as in Bundle.
	LevelVerified bool `json:"level_verified"`
	ClaimedLevel  int  `json:"claimed_level,omitempty"`
	// Yanked is set when the publisher withdrew the version (mpak bundle
	// yank), YankReason says why: it is never a bundle's latest (unless
	// every version is yanked) and is pulled only when pinned exactly.
	Yanked     bool   `json:"yanked"`
	YankReason string `json:"yank_reason,omitempty"`
	// Tampered is the digest the version's tag was found to name instead
	// of Digest, the version as published: the tag was moved by something
	// that bypassed mpakd. mpakd then serves the version by digest only
	// (Reference pins Digest), and refuses its tag. Empty when the tag
	// holds Digest.
	Tampered    string    `json:"tampered,omitempty"`
	PublishedAt time.Time `json:"published_at"`
	Downloads   int64     `json:"downloads"`
	// DownloadsDaily is this version's last 90 days, oldest first (in a
	// BundleDetail, the bundle's series takes its place).
	DownloadsDaily []DayCount `json:"downloads_daily,omitempty"`
	// Scan is the scan report Level comes from, else the newest unverified
	// one (mpak bundle scan --attach): every control's status, evidence
	// and remediation.
	Scan json.RawMessage `json:"scan,omitempty"`
	// Provenance is what the attached signatures and attestations claim:
	// who signed (a key ID, or a keyless identity and issuer) and the SLSA
	// provenance (source, revision, builder). Read unverified: check it
	// with mpak bundle verify.
	Provenance *claims.Claims `json:"provenance,omitempty"`
	// Manifest is manifest.json as published.
	Manifest map[string]any `json:"manifest,omitempty"`
}

// BundleDetail is GET /v1/bundles/{name}: the latest version in full,
// every version, and download counts.
type BundleDetail struct {
	VersionDetail
	Latest    string           `json:"latest"`
	Versions  []VersionSummary `json:"versions"`
	Downloads int64            `json:"downloads"`
	// DownloadsDaily is the last 90 days, oldest first.
	DownloadsDaily []DayCount `json:"downloads_daily"`
}

// DayCount is a point of a daily series.
type DayCount struct {
	Day   string `json:"day"` // YYYY-MM-DD
	Count int64  `json:"count"`
}

// VersionsResponse is GET /v1/bundles/{name}/versions.
type VersionsResponse struct {
	Name     string           `json:"name"`
	Latest   string           `json:"latest"`
	Versions []VersionSummary `json:"versions"`
}

// Download is GET /v1/bundles/{name}/versions/{version}/download with
// Accept: application/json (otherwise the server redirects to URL).
type Download struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Platform  string `json:"platform"`
	Digest    string `json:"digest"` // the .mcpb layer digest
	Size      int64  `json:"size"`
	URL       string `json:"url"` // the blob URL on this server
	Reference string `json:"reference"`
	// Yanked versions are still served (an exact pin is allowed); the
	// answer also carries "Warning: 299 - \"yanked: <reason>\"".
	Yanked     bool   `json:"yanked"`
	YankReason string `json:"yank_reason,omitempty"`
}

// Error is every error body: {"error":{"code","message"}}.
type Error struct {
	Err struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (e *Error) Error() string { return e.Err.Code + ": " + e.Err.Message }
