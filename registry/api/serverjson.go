package api

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mpak-oci/mpak/registry/index"
	"github.com/mpak-oci/mpak/registry/internal/weburl"
)

// The MCP Registry API's JSON, as its server.json schema (2025-12-11) and
// API define it. Only what the catalog can fill is declared.

const serverSchema = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"

type serverList struct {
	Servers  []serverResponse `json:"servers"`
	Metadata listMetadata     `json:"metadata"`
}

type listMetadata struct {
	NextCursor string `json:"nextCursor,omitempty"`
	Count      int    `json:"count"`
}

type serverResponse struct {
	Server serverDetail `json:"server"`
	Meta   responseMeta `json:"_meta"`
}

type responseMeta struct {
	Official officialMeta `json:"io.modelcontextprotocol.registry/official"`
}

// officialMeta is the registry's own _meta. Its schema (the MCP Registry
// OpenAPI's ServerResponse) allows no other keys.
type officialMeta struct {
	Status string `json:"status"` // active | deprecated | deleted
	// StatusMessage says why a version is deprecated; at most 500
	// characters.
	StatusMessage string    `json:"statusMessage,omitempty"`
	PublishedAt   time.Time `json:"publishedAt"`
	UpdatedAt     time.Time `json:"updatedAt"`
	IsLatest      bool      `json:"isLatest"`
}

type serverDetail struct {
	Schema      string          `json:"$schema"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Title       string          `json:"title,omitempty"`
	Version     string          `json:"version"`
	Repository  *sourceRepo     `json:"repository,omitempty"`
	WebsiteURL  string          `json:"websiteUrl,omitempty"`
	Packages    []serverPackage `json:"packages"`
	Meta        *serverMeta     `json:"_meta,omitempty"`
}

type sourceRepo struct {
	URL    string `json:"url"`
	Source string `json:"source"`
}

type serverPackage struct {
	RegistryType string    `json:"registryType"`
	Identifier   string    `json:"identifier"`
	FileSha256   string    `json:"fileSha256,omitempty"`
	Transport    transport `json:"transport"`
}

type transport struct {
	Type string `json:"type"`
}

// serverMeta is our vendor extension. The schema's Package has no field
// for a platform, so which mcpb package serves which platform is said
// here, in the server's _meta (the schema's place for vendor data, keyed
// reverse-DNS), matched to packages by identifier.
type serverMeta struct {
	Builds []buildMeta `json:"dev.mpak/builds,omitempty"`
}

type buildMeta struct {
	Identifier string `json:"identifier"`
	Platform   string `json:"platform"` // "os/arch", "os/any" or "any"
	Size       int64  `json:"size"`
}

// Schema limits of ServerDetail and of the official _meta.
const (
	maxDescription   = 100
	maxTitle         = 100
	maxStatusMessage = 500
)

// Official statuses. "deleted" is never served: deleted versions leave
// the catalog.
const (
	statusActive     = "active"
	statusDeprecated = "deprecated"
)

// statusOf maps the catalog's marks to the official registry's lifecycle
// status. A yanked version is "deprecated" with its reason, as the
// official registry's publishers deprecate a version. A tampered version
// stays listed, also "deprecated", with a message saying that its tag
// moved: clients of this API are told rather than left to find a version
// missing, and its packages pin the published bytes by digest (the oci
// identifier is repository@digest, the mcpb ones are blobs by digest), so
// what they install is still what was published.
func statusOf(v *index.Version) (status, message string) {
	var parts []string
	if v.Tampered != "" {
		parts = append(parts, "the registry's tag "+v.Tag+" was moved outside mpakd to "+v.Tampered+
			"; mpakd serves this version only by its published digest "+v.Digest)
	}
	if v.Yanked {
		y := "yanked by the publisher"
		if v.YankReason != "" {
			y += ": " + v.YankReason
		}
		parts = append(parts, y)
	}
	if len(parts) == 0 {
		return statusActive, ""
	}
	return statusDeprecated, truncate(strings.Join(parts, "; "), maxStatusMessage)
}

// serverOf renders a version as an MCP Registry server response. base is
// "scheme://host" of this server, whose /v2/ API serves the blobs.
func serverOf(base, host string, v *index.Version, isLatest bool) serverResponse {
	d := serverDetail{
		Schema:      serverSchema,
		Name:        serverName(host, v),
		Description: truncate(firstNonEmpty(v.Description, v.DisplayName, v.Name, v.Repository), maxDescription),
		Title:       truncate(v.DisplayName, maxTitle),
		Version:     v.Version,
		Repository:  sourceOf(v.SourceURL),
		WebsiteURL:  weburl.String(v.Homepage),
		Packages:    make([]serverPackage, 0, len(v.Builds)+1),
	}
	stdio := transport{Type: "stdio"}
	var builds []buildMeta
	for _, b := range v.Builds {
		hex, ok := strings.CutPrefix(b.LayerDigest, "sha256:")
		if !ok {
			// fileSha256 is required for mcpb packages and can only
			// be a sha256; the oci package below still serves it.
			continue
		}
		id := base + blobPath(v.Repository, b.LayerDigest)
		// No version: the official registry refuses one on mcpb
		// packages, the identifier pins the file.
		d.Packages = append(d.Packages, serverPackage{RegistryType: "mcpb", Identifier: id, FileSha256: hex, Transport: stdio})
		builds = append(builds, buildMeta{Identifier: id, Platform: b.Platform, Size: b.Size})
	}
	d.Packages = append(d.Packages, serverPackage{RegistryType: "oci", Identifier: reference(host, v), Transport: stdio})
	if len(builds) > 0 {
		d.Meta = &serverMeta{Builds: builds}
	}
	published := v.PublishedAt
	if published.IsZero() {
		published = v.IndexedAt
	}
	status, message := statusOf(v)
	return serverResponse{Server: d, Meta: responseMeta{Official: officialMeta{
		Status:        status,
		StatusMessage: message,
		PublishedAt:   published.UTC(),
		UpdatedAt:     v.IndexedAt.UTC(),
		IsLatest:      isLatest,
	}}}
}

// truncate cuts s to max characters (the schema counts characters, not
// bytes), marking the cut with an ellipsis.
func truncate(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:max-1])) + "…"
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// sourceOf is the manifest's repository URL as the schema's Repository,
// whose source names the forge ("github"); nil when it is not a web URL.
func sourceOf(raw string) *sourceRepo {
	// npm-style "git+https://..." is common in manifests.
	u := weburl.String(strings.TrimPrefix(strings.TrimSpace(raw), "git+"))
	if u == "" {
		return nil
	}
	host := weburl.Host(u)
	source := host
	switch host {
	case "github.com":
		source = "github"
	case "gitlab.com":
		source = "gitlab"
	}
	return &sourceRepo{URL: u, Source: source}
}
