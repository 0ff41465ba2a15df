// Package mcpb reads, validates, packs and safely opens MCP Bundles (.mcpb):
// zip archives with a manifest.json at their root, formerly called DXT.
//
// The package is the single place that knows the bundle format. Everything
// that reaches the registry goes through ParseManifest and Pack; everything
// downloaded from it goes through Read/Open, which treat the archive as
// hostile input.
package mcpb

import (
	"slices"
)

// Manifest versions this package understands. Each one is a strict schema,
// schema/manifest-<version>.json: the MCPB CLI rejects a key that its
// manifest_version does not define.
const (
	ManifestVersion01 = "0.1"
	ManifestVersion02 = "0.2"
	ManifestVersion03 = "0.3"
	ManifestVersion04 = "0.4"

	// LatestManifestVersion is the newest version (experimental upstream).
	LatestManifestVersion = ManifestVersion04
)

// SupportedManifestVersions lists the accepted manifest_version values, oldest
// first.
var SupportedManifestVersions = []string{ManifestVersion01, ManifestVersion02, ManifestVersion03, ManifestVersion04}

// Server types.
const (
	ServerNode   = "node"
	ServerPython = "python"
	ServerBinary = "binary"
	ServerUV     = "uv" // manifest_version 0.4 and later
)

// Manifest is the typed view of a bundle's manifest.json. Validation happens
// before it is built, so every field holds a value of the documented type.
type Manifest struct {
	// ManifestVersion is the effective version: manifest_version, or the
	// legacy dxt_version when only that is set.
	ManifestVersion string `json:"manifest_version"`

	Name            string      `json:"name"`
	DisplayName     string      `json:"display_name,omitempty"`
	Version         string      `json:"version"`
	Description     string      `json:"description"`
	LongDescription string      `json:"long_description,omitempty"`
	Author          Author      `json:"author"`
	Repository      *Repository `json:"repository,omitempty"`
	Homepage        string      `json:"homepage,omitempty"`
	Documentation   string      `json:"documentation,omitempty"`
	Support         string      `json:"support,omitempty"`
	Icon            string      `json:"icon,omitempty"`
	Icons           []Icon      `json:"icons,omitempty"`
	Screenshots     []string    `json:"screenshots,omitempty"`
	License         string      `json:"license,omitempty"`
	Keywords        []string    `json:"keywords,omitempty"`
	PrivacyPolicies []string    `json:"privacy_policies,omitempty"`

	Server           Server                      `json:"server"`
	Tools            []Tool                      `json:"tools,omitempty"`
	ToolsGenerated   bool                        `json:"tools_generated,omitempty"`
	Prompts          []Prompt                    `json:"prompts,omitempty"`
	PromptsGenerated bool                        `json:"prompts_generated,omitempty"`
	UserConfig       map[string]UserConfigOption `json:"user_config,omitempty"`
	Compatibility    *Compatibility              `json:"compatibility,omitempty"`
	Localization     *Localization               `json:"localization,omitempty"`

	// Meta holds the vendor extensions under "_meta", keyed by reverse-DNS
	// name. Numbers are json.Number so that re-encoding is lossless.
	Meta map[string]map[string]any `json:"_meta,omitempty"`

	// Raw is the exact manifest.json that was parsed. Callers store it
	// verbatim (as the OCI config blob): re-encoding the struct would drop
	// unknown keys and change the digest.
	Raw []byte `json:"-"`
}

// Author is the bundle's author.
type Author struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	URL   string `json:"url,omitempty"`
}

// Repository points at the bundle's source code.
type Repository struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// Icon is one entry of "icons" (manifest_version 0.3 and later).
type Icon struct {
	Src   string `json:"src"`
	Size  string `json:"size"`
	Theme string `json:"theme,omitempty"`
}

// Localization says where translated strings live (0.3 and later).
type Localization struct {
	Resources     string `json:"resources"`
	DefaultLocale string `json:"default_locale"`
}

// Server says how the bundle's MCP server is started.
type Server struct {
	Type       string `json:"type"`
	EntryPoint string `json:"entry_point"`
	// MCPConfig is nil only for type "uv", where the host manages execution.
	MCPConfig *MCPConfig `json:"mcp_config,omitempty"`
}

// MCPConfig is the command line a host runs, before variable substitution.
type MCPConfig struct {
	Command string            `json:"command"`
	Args    []string          `json:"args,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
	// PlatformOverrides is keyed by Node's process.platform name (darwin,
	// win32, linux). A set field replaces the base value; it is not merged.
	PlatformOverrides map[string]MCPConfigOverride `json:"platform_overrides,omitempty"`
}

// MCPConfigOverride replaces parts of MCPConfig on one platform.
type MCPConfigOverride struct {
	Command string            `json:"command,omitempty"`
	Args    []string          `json:"args,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
}

// Tool is a tool the server declares statically.
type Tool struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Prompt is a prompt template the server declares statically.
type Prompt struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Arguments   []string `json:"arguments,omitempty"`
	Text        string   `json:"text"`
}

// User config option types.
const (
	ConfigString    = "string"
	ConfigNumber    = "number"
	ConfigBoolean   = "boolean"
	ConfigDirectory = "directory"
	ConfigFile      = "file"
)

// UserConfigOption is a value the user supplies at install or run time and
// the manifest references as ${user_config.<key>}.
type UserConfigOption struct {
	Type        string `json:"type"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Required    bool   `json:"required,omitempty"`
	Multiple    bool   `json:"multiple,omitempty"`
	Sensitive   bool   `json:"sensitive,omitempty"`
	// Default is nil, a string, a float64, a bool or a []string.
	Default any      `json:"default,omitempty"`
	Min     *float64 `json:"min,omitempty"`
	Max     *float64 `json:"max,omitempty"`
}

// Compatibility constrains the hosts and platforms a bundle runs on.
type Compatibility struct {
	ClaudeDesktop string `json:"claude_desktop,omitempty"`
	// Platforms uses Node's names: darwin, win32, linux.
	Platforms []string `json:"platforms,omitempty"`
	// Runtimes maps "python" and "node" to a version constraint.
	Runtimes map[string]string `json:"runtimes,omitempty"`
}

// UserConfigKeys returns the user_config keys, sorted.
func (m *Manifest) UserConfigKeys() []string {
	keys := make([]string, 0, len(m.UserConfig))
	for k := range m.UserConfig {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ToolNames returns the declared tool names in manifest order.
func (m *Manifest) ToolNames() []string {
	names := make([]string, 0, len(m.Tools))
	for _, t := range m.Tools {
		names = append(names, t.Name)
	}
	return names
}
