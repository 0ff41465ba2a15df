package api

import (
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mpak-oci/mpak/registry/catalog"
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
	StatusMessage string `json:"statusMessage,omitempty"`
	// StatusChangedAt is when the version took its status: its
	// publication while active, else when the catalog last indexed it
	// (and so found the mark).
	StatusChangedAt time.Time `json:"statusChangedAt"`
	PublishedAt     time.Time `json:"publishedAt"`
	UpdatedAt       time.Time `json:"updatedAt"`
	IsLatest        bool      `json:"isLatest"`
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
// missing, and its mcpb packages are blobs by digest with their
// fileSha256, so what they install is still what was published.
func statusOf(v *catalog.Version) (status, message string) {
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

// serverOf renders a version as an MCP Registry server response.
//
// Each build is an mcpb package: the file's download URL (the layer's blob
// on this server's /v2/ API) and its sha256, which MCP clients check
// before they run it. No oci package is offered: clients of the official
// registry run an oci package as a container image (docker run), and a
// bundle is not one.
func (a *api) serverOf(r *http.Request, v *catalog.Version, isLatest bool) serverResponse {
	base := a.downloadBase(r)
	d := serverDetail{
		Schema:      serverSchema,
		Name:        serverName(a.serverNS, v),
		Description: truncate(firstNonEmpty(v.Description, v.DisplayName, v.Name, v.Repository), maxDescription),
		Title:       truncate(v.DisplayName, maxTitle),
		Version:     v.Version,
		WebsiteURL:  weburl.String(v.Homepage),
		Packages:    make([]serverPackage, 0, len(v.Builds)),
	}
	d.Repository, d.WebsiteURL = sourceOf(v.SourceURL, d.WebsiteURL)
	stdio := transport{Type: "stdio"}
	var builds []buildMeta
	for _, b := range v.Builds {
		hex, ok := strings.CutPrefix(b.LayerDigest, "sha256:")
		if !ok || len(hex) != 64 {
			// fileSha256 is required for mcpb packages and can only be
			// a sha256: such a build is not offered here (mpak pulls
			// it by reference).
			continue
		}
		id := base + blobPath(v.Repository, b.LayerDigest)
		// No version: the official registry refuses one on mcpb
		// packages, the identifier pins the file.
		d.Packages = append(d.Packages, serverPackage{RegistryType: "mcpb", Identifier: id, FileSha256: hex, Transport: stdio})
		builds = append(builds, buildMeta{Identifier: id, Platform: b.Platform, Size: b.Size})
	}
	if len(builds) > 0 {
		d.Meta = &serverMeta{Builds: builds}
	}
	published := v.PublishedAt
	if published.IsZero() {
		published = v.IndexedAt
	}
	status, message := statusOf(v)
	changed := published
	if status != statusActive {
		changed = v.IndexedAt
	}
	return serverResponse{Server: d, Meta: responseMeta{Official: officialMeta{
		Status:          status,
		StatusMessage:   message,
		StatusChangedAt: changed.UTC(),
		PublishedAt:     published.UTC(),
		UpdatedAt:       v.IndexedAt.UTC(),
		IsLatest:        isLatest,
	}}}
}

// downloadBase is the scheme and host of the files mcpb packages name.
// MCP clients fetch them with a plain GET, so the URL must work as
// printed: https, as registries are served (OCI clients too assume it for
// any host but a loopback one), unless this request came over plain http
// to a loopback host, a local registry.
func (a *api) downloadBase(r *http.Request) string {
	host := a.host(r)
	if scheme(r) == "http" && isLoopback(host) {
		return "http://" + host
	}
	return "https://" + host
}

// isLoopback is a host[:port] naming this machine.
func isLoopback(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
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
// whose source names the forge as the official registry knows it:
// "github" or "gitlab", for a repository URL on that forge
// (https://github.com/owner/repo). Any other source address is not a
// Repository the official registry accepts; it becomes the website
// instead, unless the version has one.
func sourceOf(raw, website string) (*sourceRepo, string) {
	// npm-style "git+https://..." is common in manifests.
	u := weburl.String(strings.TrimPrefix(strings.TrimSpace(raw), "git+"))
	if u == "" {
		return nil, website
	}
	if repo := forgeRepository(u); repo != nil {
		return repo, website
	}
	if website == "" {
		website = u
	}
	return nil, website
}

// forgeRepository reads a GitHub or GitLab repository URL, written the
// way the official registry checks them: https, the forge's host (www.
// dropped), owner and repository (GitLab: groups and project), no
// ".git" suffix nor trailing slash, nothing after the project. nil for
// anything else.
func forgeRepository(raw string) *sourceRepo {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.RawQuery != "" || u.Port() != "" {
		return nil
	}
	p := strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), ".git")
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for _, part := range parts {
		if !forgePathPart.MatchString(part) {
			return nil
		}
	}
	switch strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.") {
	case "github.com":
		if len(parts) == 2 {
			return &sourceRepo{URL: "https://github.com/" + strings.Join(parts, "/"), Source: "github"}
		}
	case "gitlab.com":
		if len(parts) >= 2 {
			return &sourceRepo{URL: "https://gitlab.com/" + strings.Join(parts, "/"), Source: "gitlab"}
		}
	}
	return nil
}

// forgePathPart is an owner, group or repository name on GitHub or
// GitLab ("-" alone is GitLab's route separator, not a name).
var forgePathPart = regexp.MustCompile(`^[\w.-]*\w[\w.-]*$`)
