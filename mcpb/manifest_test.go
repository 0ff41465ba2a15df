package mcpb

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// baseManifest is the smallest manifest valid in every version.
func baseManifest(version string) map[string]any {
	return map[string]any{
		"manifest_version": version,
		"name":             "demo",
		"version":          "1.0.0",
		"description":      "A demo server",
		"author":           map[string]any{"name": "Ann Author"},
		"server": map[string]any{
			"type":        "node",
			"entry_point": "server/index.js",
			"mcp_config":  map[string]any{"command": "node", "args": []any{"${__dirname}/server/index.js"}},
		},
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// get walks a dotted path of objects in a manifest map.
func get(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		m = m[k].(map[string]any)
	}
	return m
}

func problemsOf(err error) []Problem {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Problems
	}
	return nil
}

// assertProblems checks that every want substring occurs in some problem and
// that there is a problem exactly when want is non-empty.
func assertProblems(t *testing.T, what string, got []Problem, want []string) {
	t.Helper()
	if len(want) == 0 && len(got) > 0 {
		t.Errorf("%s: want none, got %q", what, got)
		return
	}
	if len(want) > 0 && len(got) == 0 {
		t.Errorf("%s: want %q, got none", what, want)
		return
	}
	for _, w := range want {
		found := false
		for _, p := range got {
			if strings.Contains(p.String(), w) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s: no problem contains %q; got %q", what, w, got)
		}
	}
}

func TestParseManifestRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		version string // default 0.3
		mutate  func(m map[string]any)
		strict  []string // errors when strict; empty means valid
		lenient []string // errors when lenient; empty means valid
		warn    []string // warnings when lenient (only checked if set)
	}{
		// Versions.
		{name: "minimal 0.1", version: "0.1"},
		{name: "minimal 0.2", version: "0.2"},
		{name: "minimal 0.3", version: "0.3"},
		{name: "minimal 0.4", version: "0.4"},
		{
			name:    "unknown manifest_version",
			mutate:  func(m map[string]any) { m["manifest_version"] = "0.5" },
			strict:  []string{`manifest_version: unsupported version "0.5" (supported: 0.1, 0.2, 0.3, 0.4)`},
			lenient: []string{`manifest_version: unsupported version "0.5"`},
		},
		{
			name:    "manifest_version not a string",
			mutate:  func(m map[string]any) { m["manifest_version"] = 0.3 },
			strict:  []string{`manifest_version: want a string such as "0.3", got a number`},
			lenient: []string{`manifest_version: want a string`},
		},
		{
			name:    "no version key at all",
			mutate:  func(m map[string]any) { delete(m, "manifest_version") },
			strict:  []string{`manifest_version: required field is missing (add "manifest_version": "0.3"; supported: 0.1, 0.2, 0.3, 0.4)`},
			lenient: []string{`manifest_version: required field is missing`},
		},
		{
			name: "legacy dxt_version",
			mutate: func(m map[string]any) {
				delete(m, "manifest_version")
				m["dxt_version"] = "0.2"
			},
			warn: []string{`dxt_version: deprecated: use manifest_version`},
		},
		{
			name:   "dxt_version agreeing with manifest_version",
			mutate: func(m map[string]any) { m["dxt_version"] = "0.3" },
			warn:   []string{`dxt_version: deprecated: use manifest_version (it is already set, so remove dxt_version)`},
		},
		{
			name:    "dxt_version disagreeing with manifest_version",
			mutate:  func(m map[string]any) { m["dxt_version"] = "0.2" },
			strict:  []string{`dxt_version: "0.2" disagrees with manifest_version "0.3"`},
			lenient: []string{`dxt_version: "0.2" disagrees`},
		},
		{
			name: "unknown dxt_version",
			mutate: func(m map[string]any) {
				delete(m, "manifest_version")
				m["dxt_version"] = "1.0"
			},
			strict:  []string{`dxt_version: unsupported version "1.0"`},
			lenient: []string{`dxt_version: unsupported version "1.0"`},
		},

		// Top level.
		{
			name:   "unknown top-level key",
			mutate: func(m map[string]any) { m["scripts"] = map[string]any{} },
			strict: []string{`scripts: unknown key "scripts" (allowed: $schema, manifest_version, dxt_version, name,`},
			warn:   []string{`scripts: unknown key "scripts"`},
		},
		{
			name:    "missing name",
			mutate:  func(m map[string]any) { delete(m, "name") },
			strict:  []string{"name: required field is missing"},
			lenient: []string{"name: required field is missing"},
		},
		{
			// The mcpb CLI takes an empty name; it is advice here.
			name:   "empty name",
			mutate: func(m map[string]any) { m["name"] = " " },
			warn:   []string{"name: must not be empty"},
		},
		{
			name:    "name of wrong type",
			mutate:  func(m map[string]any) { m["name"] = 42 },
			strict:  []string{"name: want a string, got a number"},
			lenient: []string{"name: want a string, got a number"},
		},
		{
			name:    "missing version and description",
			mutate:  func(m map[string]any) { delete(m, "version"); delete(m, "description") },
			strict:  []string{"version: required field is missing", "description: required field is missing"},
			lenient: []string{"version: required field is missing", "description: required field is missing"},
		},
		{
			name:    "display_name null",
			mutate:  func(m map[string]any) { m["display_name"] = nil },
			strict:  []string{"display_name: want a string, got null"},
			lenient: []string{"display_name: want a string, got null"},
		},
		{
			name:    "keywords with a number",
			mutate:  func(m map[string]any) { m["keywords"] = []any{"ok", 7} },
			strict:  []string{"keywords[1]: want a string, got a number"},
			lenient: []string{"keywords[1]: want a string, got a number"},
		},
		{
			name:    "tools_generated not boolean",
			mutate:  func(m map[string]any) { m["tools_generated"] = "yes" },
			strict:  []string{"tools_generated: want a boolean, got a string"},
			lenient: []string{"tools_generated: want a boolean"},
		},
		{
			name:    "screenshots not an array",
			mutate:  func(m map[string]any) { m["screenshots"] = "a.png" },
			strict:  []string{"screenshots: want an array, got a string"},
			lenient: []string{"screenshots: want an array"},
		},

		// Author.
		{
			name:    "missing author",
			mutate:  func(m map[string]any) { delete(m, "author") },
			strict:  []string{"author: required field is missing"},
			lenient: []string{"author: required field is missing"},
		},
		{
			name:    "missing author.name",
			mutate:  func(m map[string]any) { m["author"] = map[string]any{"email": "a@example.com"} },
			strict:  []string{"author.name: required field is missing"},
			lenient: []string{"author.name: required field is missing"},
		},
		{
			name:   "bad author.email",
			mutate: func(m map[string]any) { get(m, "author")["email"] = "Ann <ann@example.com>" },
			strict: []string{`author.email: "Ann <ann@example.com>" is not an email address (want name@example.com)`},
			warn:   []string{`author.email: "Ann <ann@example.com>" is not an email address`},
		},
		{
			name:   "relative author.url",
			mutate: func(m map[string]any) { get(m, "author")["url"] = "example.com/ann" },
			strict: []string{`author.url: "example.com/ann" is not an absolute URL`},
			warn:   []string{`author.url: "example.com/ann" is not an absolute URL`},
		},
		{
			name:   "unknown author key",
			mutate: func(m map[string]any) { get(m, "author")["twitter"] = "@ann" },
			strict: []string{`author.twitter: unknown key "twitter" (allowed: name, email, url; remove it or fix its spelling)`},
			warn:   []string{`author.twitter: unknown key "twitter"`},
		},

		// Repository and URLs.
		{
			name:   "repository without url",
			mutate: func(m map[string]any) { m["repository"] = map[string]any{"type": "git"} },
			strict: []string{"repository.url: required field is missing"},
			warn:   []string{"repository.url: required field is missing"},
		},
		{
			name: "repository url not a URL",
			mutate: func(m map[string]any) {
				m["repository"] = map[string]any{"type": "git", "url": "git@github.com:a/b.git"}
			},
			strict: []string{`repository.url: "git@github.com:a/b.git" is not an absolute URL`},
		},
		{
			name:    "repository not an object",
			mutate:  func(m map[string]any) { m["repository"] = "https://github.com/a/b" },
			strict:  []string{"repository: want an object, got a string"},
			lenient: []string{"repository: want an object, got a string"},
		},
		{
			name: "bad homepage, documentation and support",
			mutate: func(m map[string]any) {
				m["homepage"] = "www.example.com"
				m["documentation"] = "https://"
				m["support"] = "mailto:help@example.com"
			},
			strict: []string{`homepage: "www.example.com" is not an absolute URL`, `documentation: "https://" has no host`},
			warn:   []string{`homepage: "www.example.com"`},
		},

		// Icons (0.3+).
		{
			name: "icons in 0.3",
			mutate: func(m map[string]any) {
				m["icons"] = []any{map[string]any{"src": "i.png", "size": "16x16", "theme": "light"}}
			},
		},
		{
			name:    "icons in 0.2",
			version: "0.2",
			mutate:  func(m map[string]any) { m["icons"] = []any{map[string]any{"src": "i.png", "size": "16x16"}} },
			strict:  []string{"icons: not allowed in manifest_version 0.2 (added in 0.3; raise manifest_version or remove the key)"},
			warn:    []string{"icons: not allowed in manifest_version 0.2"},
		},
		{
			name: "icons with bad size, empty theme, missing src",
			mutate: func(m map[string]any) {
				m["icons"] = []any{map[string]any{"src": "i.png", "size": "512"}, map[string]any{"size": "1x1", "theme": ""}}
			},
			strict: []string{`icons[0].size: "512" is not WIDTHxHEIGHT`, "icons[1].src: required field is missing", "icons[1].theme: must not be empty"},
			warn:   []string{`icons[0].size: "512" is not WIDTHxHEIGHT`},
		},
		{
			name:    "icons item of wrong type",
			mutate:  func(m map[string]any) { m["icons"] = []any{"icon.png"} },
			strict:  []string{"icons[0]: want an object, got a string"},
			lenient: []string{"icons[0]: want an object, got a string"},
		},

		// Localization (0.3+).
		{
			name: "localization ok",
			mutate: func(m map[string]any) {
				m["localization"] = map[string]any{"resources": "res/${LOCALE}.json", "default_locale": "zh-Hant-TW"}
			},
		},
		{
			name: "localization with bad patterns",
			mutate: func(m map[string]any) {
				m["localization"] = map[string]any{"resources": "res/en.json", "default_locale": "en_US"}
			},
			strict: []string{`localization.resources: "res/en.json" is not a path with the ${locale} placeholder (want e.g. mcpb-resources/${locale}.json)`, `localization.default_locale: "en_US" is not a BCP 47 locale tag`},
			warn:   []string{`localization.default_locale: "en_US"`},
		},
		{
			name:    "localization in 0.1",
			version: "0.1",
			mutate: func(m map[string]any) {
				m["localization"] = map[string]any{"resources": "${locale}.json", "default_locale": "en"}
			},
			strict: []string{"localization: not allowed in manifest_version 0.1 (added in 0.3"},
		},

		// Server.
		{
			name:    "missing server",
			mutate:  func(m map[string]any) { delete(m, "server") },
			strict:  []string{"server: required field is missing"},
			lenient: []string{"server: required field is missing"},
		},
		{
			name:    "unknown server.type",
			mutate:  func(m map[string]any) { get(m, "server")["type"] = "nodejs" },
			strict:  []string{`server.type: "nodejs" is not one of: python, node, binary (did you mean "node"?)`},
			lenient: []string{`server.type: "nodejs" is not one of: python, node, binary`},
		},
		{
			name:    "unknown server.type in 0.4 lists uv",
			version: "0.4",
			mutate:  func(m map[string]any) { get(m, "server")["type"] = "deno" },
			strict:  []string{`server.type: "deno" is not one of: python, node, binary, uv`},
			lenient: []string{`server.type: "deno"`},
		},
		{
			name:    "missing server.type and entry_point",
			mutate:  func(m map[string]any) { m["server"] = map[string]any{"mcp_config": map[string]any{"command": "node"}} },
			strict:  []string{"server.type: required field is missing", "server.entry_point: required field is missing"},
			lenient: []string{"server.type: required field is missing", "server.entry_point: required field is missing"},
		},
		{
			name: "uv in 0.3",
			mutate: func(m map[string]any) {
				get(m, "server")["type"] = "uv"
				delete(get(m, "server"), "mcp_config")
			},
			strict: []string{`server.type: "uv" is not allowed in manifest_version 0.3 (added in 0.4; raise manifest_version to 0.4)`},
			warn:   []string{`server.type: "uv" is not allowed in manifest_version 0.3`},
		},
		{
			name:    "uv in 0.4 without mcp_config",
			version: "0.4",
			mutate: func(m map[string]any) {
				get(m, "server")["type"] = "uv"
				delete(get(m, "server"), "mcp_config")
			},
		},
		{
			name:    "node in 0.4 without mcp_config",
			version: "0.4",
			mutate:  func(m map[string]any) { delete(get(m, "server"), "mcp_config") },
			strict:  []string{"server.mcp_config: required field is missing"},
			lenient: []string{"server.mcp_config: required field is missing"},
		},
		{
			name:    "missing mcp_config.command",
			mutate:  func(m map[string]any) { get(m, "server")["mcp_config"] = map[string]any{"args": []any{}} },
			strict:  []string{"server.mcp_config.command: required field is missing"},
			lenient: []string{"server.mcp_config.command: required field is missing"},
		},
		{
			name: "mcp_config args and env of wrong types",
			mutate: func(m map[string]any) {
				mc := get(m, "server", "mcp_config")
				mc["args"] = []any{"--a", 1}
				mc["env"] = map[string]any{"DEBUG": true, "my.var": 1}
			},
			strict:  []string{"server.mcp_config.args[1]: want a string, got a number", "server.mcp_config.env.DEBUG: want a string, got a boolean", `server.mcp_config.env["my.var"]: want a string`},
			lenient: []string{"server.mcp_config.args[1]: want a string"},
		},
		{
			name: "platform_overrides with unknown key and wrong type",
			mutate: func(m map[string]any) {
				get(m, "server", "mcp_config")["platform_overrides"] = map[string]any{
					"win32":  map[string]any{"command": "node.exe", "cwd": "C:\\"},
					"darwin": map[string]any{"args": "--x"},
				}
			},
			strict:  []string{`server.mcp_config.platform_overrides.win32.cwd: unknown key "cwd" (allowed: command, args, env;`, "server.mcp_config.platform_overrides.darwin.args: want an array, got a string"},
			lenient: []string{"server.mcp_config.platform_overrides.darwin.args: want an array"},
			warn:    []string{`server.mcp_config.platform_overrides.win32.cwd: unknown key "cwd"`},
		},
		{
			name:   "unknown server key",
			mutate: func(m map[string]any) { get(m, "server")["runtime"] = "node20" },
			strict: []string{`server.runtime: unknown key "runtime" (allowed: type, entry_point, mcp_config;`},
		},

		// Tools and prompts.
		{
			name: "tool without name",
			mutate: func(m map[string]any) {
				m["tools"] = []any{map[string]any{"name": "a"}, map[string]any{"description": "no name"}}
			},
			strict: []string{"tools[1].name: required field is missing"},
			warn:   []string{"tools[1].name: required field is missing"},
		},
		{
			name:    "tool name of wrong type",
			mutate:  func(m map[string]any) { m["tools"] = []any{map[string]any{"name": []any{"a"}}} },
			strict:  []string{"tools[0].name: want a string, got an array"},
			lenient: []string{"tools[0].name: want a string, got an array"},
		},
		{
			name: "tool with input_schema",
			mutate: func(m map[string]any) {
				m["tools"] = []any{map[string]any{"name": "a", "input_schema": map[string]any{}}}
			},
			strict: []string{`tools[0].input_schema: unknown key "input_schema" (allowed: name, description;`},
		},
		{
			name:    "prompt without text and with bad arguments",
			mutate:  func(m map[string]any) { m["prompts"] = []any{map[string]any{"name": "p", "arguments": "x"}} },
			strict:  []string{"prompts[0].text: required field is missing", "prompts[0].arguments: want an array, got a string"},
			lenient: []string{"prompts[0].arguments: want an array"},
			warn:    []string{"prompts[0].text: required field is missing"},
		},

		// User config.
		{
			name: "user_config bad type",
			mutate: func(m map[string]any) {
				m["user_config"] = map[string]any{"count": map[string]any{"type": "integer", "title": "Count", "description": "d"}}
			},
			strict:  []string{`user_config.count.type: "integer" is not one of: string, number, boolean, directory, file (did you mean "number"?)`},
			lenient: []string{`user_config.count.type: "integer" is not one of`},
		},
		{
			name: "user_config missing title and description",
			mutate: func(m map[string]any) {
				m["user_config"] = map[string]any{"api_key": map[string]any{"type": "string"}}
			},
			strict: []string{"user_config.api_key.title: required field is missing", "user_config.api_key.description: required field is missing"},
			warn:   []string{"user_config.api_key.title: required field is missing"},
		},
		{
			name: "user_config missing type",
			mutate: func(m map[string]any) {
				m["user_config"] = map[string]any{"api_key": map[string]any{"title": "t", "description": "d"}}
			},
			strict:  []string{"user_config.api_key.type: required field is missing"},
			lenient: []string{"user_config.api_key.type: required field is missing"},
		},
		{
			name: "user_config default of wrong type",
			mutate: func(m map[string]any) {
				m["user_config"] = map[string]any{
					"a": map[string]any{"type": "string", "title": "t", "description": "d", "default": map[string]any{}},
					"b": map[string]any{"type": "directory", "title": "t", "description": "d", "multiple": true, "default": []any{"/x", 3}},
					"c": map[string]any{"type": "string", "title": "t", "description": "d", "default": nil},
				}
			},
			strict:  []string{"user_config.a.default: want a string, number, boolean or array of strings, got an object", "user_config.b.default[1]: want a string, got a number", "user_config.c.default: want a string, number, boolean or array of strings, got null"},
			lenient: []string{"user_config.a.default: want a string, number, boolean or array of strings"},
		},
		{
			name: "user_config unknown key and dotted name",
			mutate: func(m map[string]any) {
				m["user_config"] = map[string]any{"my.key": map[string]any{"type": "string", "title": "t", "description": "d", "pattern": "^x$"}}
			},
			strict: []string{`user_config["my.key"].pattern: unknown key "pattern" (allowed: type, title, description, required, default, multiple, sensitive, min, max;`},
			warn:   []string{`user_config["my.key"].pattern: unknown key "pattern"`},
		},
		{
			name: "user_config sensible values produce advice only",
			mutate: func(m map[string]any) {
				m["user_config"] = map[string]any{
					"n": map[string]any{"type": "number", "title": "t", "description": "d", "default": "ten", "min": 10, "max": 1},
					"b": map[string]any{"type": "boolean", "title": "t", "description": "d", "default": "true"},
				}
			},
			warn: []string{"user_config.n.default: type is number but the default is a string", "user_config.n: min 10 is greater than max 1", "user_config.b.default: type is boolean but the default is a string"},
		},
		{
			name: "user_config min not a number",
			mutate: func(m map[string]any) {
				m["user_config"] = map[string]any{"n": map[string]any{"type": "number", "title": "t", "description": "d", "min": "1"}}
			},
			strict:  []string{"user_config.n.min: want a number, got a string"},
			lenient: []string{"user_config.n.min: want a number, got a string"},
		},
		{
			name:    "user_config not an object",
			mutate:  func(m map[string]any) { m["user_config"] = []any{} },
			strict:  []string{"user_config: want an object, got an array"},
			lenient: []string{"user_config: want an object, got an array"},
		},

		// Compatibility.
		{
			name: "compatibility with an unknown client",
			mutate: func(m map[string]any) {
				m["compatibility"] = map[string]any{"claude_desktop": ">=0.10.0", "my_client": ">1.0.0"}
			},
			strict: []string{`compatibility.my_client: unknown key "my_client" (allowed: claude_desktop, platforms, runtimes;`},
			warn:   []string{`compatibility.my_client: unknown key "my_client"`},
		},
		{
			name:   "compatibility with a bad platform",
			mutate: func(m map[string]any) { m["compatibility"] = map[string]any{"platforms": []any{"linux", "windows"}} },
			strict: []string{`compatibility.platforms[1]: "windows" is not one of: darwin, win32, linux (did you mean "win32"?)`},
			warn:   []string{`compatibility.platforms[1]: "windows"`},
		},
		{
			name: "compatibility runtimes",
			mutate: func(m map[string]any) {
				m["compatibility"] = map[string]any{"runtimes": map[string]any{"node": 18, "ruby": ">=3"}}
			},
			strict:  []string{"compatibility.runtimes.node: want a string, got a number", `compatibility.runtimes.ruby: unknown key "ruby" (allowed: python, node;`},
			lenient: []string{"compatibility.runtimes.node: want a string"},
			warn:    []string{`compatibility.runtimes.ruby: unknown key "ruby"`},
		},

		// _meta (0.3+).
		{
			name: "_meta in 0.3",
			mutate: func(m map[string]any) {
				m["_meta"] = map[string]any{"com.example": map[string]any{"x": []any{1, "two"}}}
			},
		},
		{
			name:    "_meta value not an object",
			mutate:  func(m map[string]any) { m["_meta"] = map[string]any{"com.example": "x"} },
			strict:  []string{`_meta["com.example"]: want an object, got a string`},
			lenient: []string{`_meta["com.example"]: want an object`},
		},
		{
			name:    "_meta in 0.2",
			version: "0.2",
			mutate:  func(m map[string]any) { m["_meta"] = map[string]any{} },
			strict:  []string{"_meta: not allowed in manifest_version 0.2 (added in 0.3"},
		},

		// privacy_policies (0.2+).
		{
			name:    "privacy_policies in 0.1",
			version: "0.1",
			mutate:  func(m map[string]any) { m["privacy_policies"] = []any{"https://example.com/privacy"} },
			strict:  []string{"privacy_policies: not allowed in manifest_version 0.1 (added in 0.2; raise manifest_version or remove the key)"},
			warn:    []string{"privacy_policies: not allowed in manifest_version 0.1"},
		},
		{
			name:    "privacy_policies in 0.2",
			version: "0.2",
			mutate:  func(m map[string]any) { m["privacy_policies"] = []any{"https://example.com/privacy"} },
		},
		{
			name:    "privacy_policies in 0.1 of wrong type is still an error",
			version: "0.1",
			mutate:  func(m map[string]any) { m["privacy_policies"] = "https://example.com/privacy" },
			strict:  []string{"privacy_policies: not allowed in manifest_version 0.1", "privacy_policies: want an array, got a string"},
			lenient: []string{"privacy_policies: want an array, got a string"},
		},
		{
			name:    "privacy_policies with a bad URL",
			version: "0.4",
			mutate:  func(m map[string]any) { m["privacy_policies"] = []any{"privacy.html"} },
			strict:  []string{`privacy_policies[0]: "privacy.html" is not an absolute URL`},
		},

		// Version.
		{
			name:   "non-semver version is a warning without RequireSemver",
			mutate: func(m map[string]any) { m["version"] = "v1.2.0" },
			warn:   []string{`version: "v1.2.0" is not a semantic version: drop the leading "v" (use "1.2.0")`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			version := tc.version
			if version == "" {
				version = "0.3"
			}
			m := baseManifest(version)
			if tc.mutate != nil {
				tc.mutate(m)
			}
			data := mustJSON(t, m)

			sm, _, err := ParseManifest(data, ParseOptions{Strict: true})
			if err != nil && problemsOf(err) == nil {
				t.Fatalf("strict: want a *ValidationError, got %v", err)
			}
			assertProblems(t, "strict errors", problemsOf(err), tc.strict)
			if (err == nil) != (sm != nil) {
				t.Errorf("strict: manifest %v with error %v", sm, err)
			}

			lm, warns, err := ParseManifest(data, ParseOptions{})
			if err != nil && problemsOf(err) == nil {
				t.Fatalf("lenient: want a *ValidationError, got %v", err)
			}
			assertProblems(t, "lenient errors", problemsOf(err), tc.lenient)
			if tc.warn != nil {
				assertProblems(t, "lenient warnings", warns, tc.warn)
			}
			for _, w := range warns {
				if !w.Warning {
					t.Errorf("warning %q has Warning=false", w)
				}
			}
			if err == nil && lm.ManifestVersion == "" {
				t.Error("lenient: ManifestVersion is empty")
			}
			for _, p := range problemsOf(err) {
				if p.Warning {
					t.Errorf("error %q has Warning=true", p)
				}
			}
		})
	}
}

func TestParseManifestRequireSemver(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		version string
		want    string
	}{
		{"1.2.0", ""},
		{"1.2.0-rc.1+build.5", ""},
		{"v1.2.0", `drop the leading "v" (use "1.2.0")`},
		{"1.2", "is not a semantic version (want MAJOR.MINOR.PATCH"},
		{"latest", "is not a semantic version"},
		{"", "is not a semantic version"},
	} {
		m := baseManifest("0.3")
		m["version"] = tc.version
		_, _, err := ParseManifest(mustJSON(t, m), ParseOptions{Strict: true, RequireSemver: true})
		if tc.want == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.version, err)
			}
			continue
		}
		assertProblems(t, tc.version, problemsOf(err), []string{"version: " + strconv.Quote(tc.version) + " is not a semantic version"})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v does not contain %q", tc.version, err, tc.want)
		}
	}
}

func TestParseManifestSyntaxErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		data     string
		line     int
		col      int
		contains string
	}{
		{"missing value", "{\n  \"name\": ,\n}", 2, 11, "invalid character ','"},
		{"truncated", "{\n  \"name\": \"x\"", 2, 14, "unexpected end of JSON input"},
		{"trailing data", "{\"a\": 1}\n{}", 2, 1, "unexpected data after the top-level JSON object"},
		{"byte order mark", "\ufeff{}", 1, 1, "byte order mark"},
		{"single quotes", "{'name': 1}", 1, 2, "invalid character '\\''"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseManifest([]byte(tc.data), ParseOptions{})
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("want *SyntaxError, got %T %v", err, err)
			}
			if se.Line != tc.line || se.Column != tc.col {
				t.Errorf("position %d:%d, want %d:%d (%v)", se.Line, se.Column, tc.line, tc.col, err)
			}
			if !strings.Contains(err.Error(), tc.contains) || !strings.HasPrefix(err.Error(), "invalid manifest.json: line ") {
				t.Errorf("error %q does not contain %q", err, tc.contains)
			}
		})
	}
	for _, data := range []string{"", "  \n", "[]", "\"x\"", "null"} {
		_, _, err := ParseManifest([]byte(data), ParseOptions{})
		if len(problemsOf(err)) != 1 {
			t.Errorf("%q: want one problem, got %v", data, err)
		}
	}
}

func TestValidationErrorListsEveryProblem(t *testing.T) {
	t.Parallel()
	m := baseManifest("0.1")
	delete(m, "description")
	m["privacy_policies"] = []any{}
	get(m, "server")["type"] = "ruby"
	_, _, err := ParseManifest(mustJSON(t, m), ParseOptions{Strict: true})
	lines := strings.Split(err.Error(), "\n")
	want := []string{
		"invalid manifest.json: description: required field is missing",
		`invalid manifest.json: server.type: "ruby" is not one of: python, node, binary`,
		"invalid manifest.json: privacy_policies: not allowed in manifest_version 0.1 (added in 0.2; raise manifest_version or remove the key)",
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), err)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i, lines[i], want[i])
		}
	}
	if p := (Problem{Message: "m"}); p.String() != "m" {
		t.Errorf("Problem without path renders %q", p)
	}
}

// The typed decode must see only the keys the validator accepted:
// encoding/json matches keys case-insensitively, so a stray "NAME" would
// otherwise overwrite "name".
func TestParseManifestIgnoresCaseVariantKeys(t *testing.T) {
	t.Parallel()
	m := baseManifest("0.3")
	m["NAME"] = "evil"
	m["Version"] = 7
	get(m, "server")["Entry_Point"] = "evil.js"
	pm, warns, err := ParseManifest(mustJSON(t, m), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pm.Name != "demo" || pm.Version != "1.0.0" || pm.Server.EntryPoint != "server/index.js" {
		t.Errorf("case-variant keys leaked into the manifest: %+v", pm)
	}
	if len(warns) != 3 {
		t.Errorf("want 3 unknown-key warnings, got %q", warns)
	}
}

func TestParseManifestTypedView(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("testdata", "manifests", "v0.3-node.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, warns, err := ParseManifest(data, ParseOptions{Strict: true, RequireSemver: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Errorf("unexpected warnings %q", warns)
	}
	if string(m.Raw) != string(data) {
		t.Error("Raw is not the parsed bytes")
	}
	data[0] = ' '
	if m.Raw[0] != '{' {
		t.Error("Raw aliases the caller's buffer")
	}
	if m.ManifestVersion != "0.3" || m.Name != "hello-world-node" || m.Author.Email != "author@example.com" {
		t.Errorf("top level: %+v", m)
	}
	if got := m.UserConfigKeys(); !reflect.DeepEqual(got, []string{"api_key", "config_file", "debug_mode", "max_results", "verbose_logging", "workspace_directory"}) {
		t.Errorf("UserConfigKeys = %q", got)
	}
	if got := m.ToolNames(); !reflect.DeepEqual(got, []string{"get_current_time"}) {
		t.Errorf("ToolNames = %q", got)
	}
	mr := m.UserConfig["max_results"]
	if mr.Default != float64(10) || mr.Min == nil || *mr.Min != 1 || mr.Max == nil || *mr.Max != 100 {
		t.Errorf("max_results = %+v", mr)
	}
	if v := m.UserConfig["verbose_logging"].Default; v != false {
		t.Errorf("verbose_logging default = %#v", v)
	}
	if !m.UserConfig["api_key"].Sensitive || !m.UserConfig["api_key"].Required {
		t.Errorf("api_key = %+v", m.UserConfig["api_key"])
	}
	if mc := m.Server.MCPConfig; mc == nil || mc.Command != "node" || len(mc.Args) != 4 || mc.Env["API_KEY"] != "${user_config.api_key}" {
		t.Errorf("mcp_config = %+v", mc)
	}
	if m.Compatibility == nil || !reflect.DeepEqual(m.Compatibility.Platforms, []string{"darwin", "win32", "linux"}) || m.Compatibility.Runtimes["node"] != ">=16.0.0" {
		t.Errorf("compatibility = %+v", m.Compatibility)
	}
	if len(m.Icons) != 2 || m.Icons[1].Theme != "dark" || m.Localization == nil || m.Localization.DefaultLocale != "en-US" {
		t.Errorf("icons/localization = %+v %+v", m.Icons, m.Localization)
	}
	if pfn := m.Meta["com.microsoft.windows"]["package_family_name"]; pfn != "Example.Hello_8wekyb3d8bbwe" {
		t.Errorf("_meta = %+v", m.Meta)
	}

	data, err = os.ReadFile(filepath.Join("testdata", "manifests", "v0.2-node.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err = ParseManifest(data, ParseOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := m.UserConfig["allowed_directories"].Default.([]string); !ok || len(d) != 0 {
		t.Errorf("array default = %#v", m.UserConfig["allowed_directories"].Default)
	}
	if o := m.Server.MCPConfig.PlatformOverrides["win32"]; o.Command != "node.exe" {
		t.Errorf("platform_overrides = %+v", m.Server.MCPConfig.PlatformOverrides)
	}
	if len(m.Prompts) != 1 || m.Prompts[0].Arguments[0] != "path" || !m.ToolsGenerated {
		t.Errorf("prompts = %+v", m.Prompts)
	}
}

func TestParseManifestTestdata(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "manifests", "*.json"))
	if err != nil || len(files) < 5 {
		t.Fatalf("testdata manifests: %v %d", err, len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, warns, err := ParseManifest(data, ParseOptions{Strict: true, RequireSemver: true})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if strings.Contains(f, "dxt-") {
			if m.ManifestVersion != "0.1" || len(warns) != 1 {
				t.Errorf("%s: ManifestVersion %q, warnings %q", f, m.ManifestVersion, warns)
			}
		} else if len(warns) != 0 {
			t.Errorf("%s: warnings %q", f, warns)
		}
	}
}
