package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Case is one manifest variant. The test in mcpb reads the same shape.
type Case struct {
	Name string `json:"name"`
	// Manifest is manifest.json exactly as written, numbers included.
	Manifest json.RawMessage `json:"manifest"`
	// Files are written next to manifest.json: path → content, where
	// "<png>" stands for a minimal valid PNG.
	Files map[string]string `json:"files,omitempty"`
	// Rule names the registry rule the mutation exercises, when mpak may
	// judge it differently from the mcpb CLI on purpose.
	Rule string `json:"rule,omitempty"`
}

const pngMarker = "<png>"

// Registry rules, named as in mcpb/DIFFERENCES.md.
const (
	ruleSemver     = "semver-version"
	ruleEntryPoint = "entry-point-in-bundle"
	ruleCommand    = "command-not-empty"
	ruleUVConfig   = "uv-mcp-config-optional"
	ruleIconLink   = "icon-link-warns"
)

var versions = []string{"0.1", "0.2", "0.3", "0.4"}

func defaultFiles() map[string]string {
	return map[string]string{"server/index.js": "console.log('hi')\n", "icon.png": pngMarker}
}

// fullManifest is a valid manifest of version v that sets every key v
// defines, so that mutations have something to change.
func fullManifest(v, serverType string) map[string]any {
	m := map[string]any{
		"$schema":          "https://example.com/schema.json",
		"manifest_version": v,
		"name":             "demo",
		"display_name":     "Demo",
		"version":          "1.0.0",
		"description":      "A demo server",
		"long_description": "A longer description",
		"author":           map[string]any{"name": "Ann Author", "email": "ann@example.com", "url": "https://example.com/ann"},
		"repository":       map[string]any{"type": "git", "url": "https://github.com/example/demo"},
		"homepage":         "https://example.com",
		"documentation":    "https://example.com/docs",
		"support":          "https://example.com/support",
		"icon":             "icon.png",
		"screenshots":      []any{"shot.png"},
		"server": map[string]any{
			"type":        serverType,
			"entry_point": "server/index.js",
			"mcp_config": map[string]any{
				"command": "node",
				"args":    []any{"${__dirname}/server/index.js"},
				"env":     map[string]any{"API_KEY": "${user_config.api_key}"},
				"platform_overrides": map[string]any{
					"win32": map[string]any{"command": "node.exe"},
				},
			},
		},
		"tools":             []any{map[string]any{"name": "get_weather", "description": "Weather"}},
		"tools_generated":   false,
		"prompts":           []any{map[string]any{"name": "hello", "description": "Say hi", "arguments": []any{"who"}, "text": "Hi ${arguments.who}"}},
		"prompts_generated": false,
		"keywords":          []any{"demo"},
		"license":           "MIT",
		"compatibility": map[string]any{
			"claude_desktop": ">=0.10.0",
			"platforms":      []any{"darwin", "win32", "linux"},
			"runtimes":       map[string]any{"node": ">=18.0.0", "python": ">=3.10"},
		},
		"user_config": map[string]any{
			"api_key": map[string]any{"type": "string", "title": "API key", "description": "Your key", "sensitive": true, "required": true},
			"count":   map[string]any{"type": "number", "title": "Count", "description": "How many", "default": json.Number("5"), "min": json.Number("1"), "max": json.Number("10")},
		},
	}
	if v != "0.1" {
		m["privacy_policies"] = []any{"https://example.com/privacy"}
	}
	if v == "0.3" || v == "0.4" {
		m["icons"] = []any{map[string]any{"src": "icon.png", "size": "512x512", "theme": "light"}}
		m["localization"] = map[string]any{"resources": "mcpb-resources/${locale}.json", "default_locale": "en-US"}
		m["_meta"] = map[string]any{"com.example.demo": map[string]any{"k": "v"}}
	}
	if serverType == "python" || serverType == "uv" {
		srv := m["server"].(map[string]any)
		srv["entry_point"] = "server/main.py"
		srv["mcp_config"].(map[string]any)["command"] = "python"
	}
	return m
}

// minimalManifest has only the required keys.
func minimalManifest(v, serverType string) map[string]any {
	m := map[string]any{
		"manifest_version": v,
		"name":             "demo",
		"version":          "1.0.0",
		"description":      "A demo server",
		"author":           map[string]any{"name": "Ann Author"},
		"server": map[string]any{
			"type":        serverType,
			"entry_point": "server/index.js",
			"mcp_config":  map[string]any{"command": "node"},
		},
	}
	return m
}

// mutation changes one thing in a manifest.
type mutation struct {
	name  string
	apply func(m map[string]any)
	files map[string]string // overrides defaultFiles; "" deletes
	rule  string
}

func set(path string, val any) func(map[string]any) {
	return func(m map[string]any) { setPath(m, path, val) }
}

func del(path string) func(map[string]any) {
	return func(m map[string]any) { deletePath(m, path) }
}

func num(s string) json.Number { return json.Number(s) }

// stringFields are the string values of fullManifest "0.3", for the empty
// and blank mutations.
var stringFields = []string{
	"$schema", "name", "display_name", "version", "description", "long_description",
	"author.name", "author.email", "author.url", "repository.type", "repository.url",
	"homepage", "documentation", "support", "icon", "screenshots[0]",
	"server.entry_point", "server.mcp_config.command", "server.mcp_config.args[0]",
	"server.mcp_config.env.API_KEY", "server.mcp_config.platform_overrides.win32.command",
	"tools[0].name", "tools[0].description", "prompts[0].name", "prompts[0].description",
	"prompts[0].arguments[0]", "prompts[0].text", "keywords[0]", "license",
	"compatibility.claude_desktop", "compatibility.runtimes.node",
	"user_config.api_key.title", "user_config.api_key.description",
	"privacy_policies[0]", "icons[0].src", "icons[0].size", "icons[0].theme",
	"localization.resources", "localization.default_locale",
}

// requiredFields must be present in every version.
var requiredFields = []string{
	"name", "version", "description", "author", "author.name", "server", "server.type",
	"server.entry_point", "server.mcp_config", "server.mcp_config.command",
	"repository.type", "repository.url", "tools[0].name", "prompts[0].name", "prompts[0].text",
	"user_config.api_key.type", "user_config.api_key.title", "user_config.api_key.description",
	"icons[0].src", "icons[0].size", "localization.resources", "localization.default_locale",
}

// objects get an unknown key each.
var objectFields = []string{
	"", "author", "repository", "server", "server.mcp_config", "server.mcp_config.platform_overrides.win32",
	"tools[0]", "prompts[0]", "compatibility", "compatibility.runtimes", "user_config.api_key",
	"icons[0]", "localization",
}

var urls = []string{
	"https://example.com", "http://localhost:8080/x", "https://example.com/a b", "http:example.com",
	"https:///example.com", "https://", "http://", "example.com", "//example.com", "mailto:a@example.com",
	"javascript:alert(1)", "data:text/plain,hi", "file:///etc/passwd", "ftp://ftp.example.com/x",
	"https://exa mple.com", "https://example.com:99999", "https://example.com:8a", "https://example.com:",
	"https://[::1]/", "https://[zz]/", "https://1.2.3.256/", "https://4294967295/", "https://4294967296/",
	"git+https://github.com/a/b.git", "git@github.com:a/b.git", "https://例え.jp/", " https://example.com ",
	"https://example.com/\t", "https://user:pass@example.com", "HTTPS://EXAMPLE.COM", "urn:isbn:0451450523",
	"a:b", "1http://x", "https://exa%20mple.com", "https://example.com#frag", "https://example.com?q=1",
	"https://.", "https://-x-.com", "https://a..b", "https://example.123", "foo://h:abc", "foo://h:80/x",
	"foo://", "https://ex\\ample.com", "https:\\\\example.com", "https://example.com\\path",
	"https://exa<mple.com", "https://exa^mple.com", "https://0x7f.1/", "https://example.com:65535",
	"https://user@", "ws://example.com", "https://%65xample.com", "https://xn--nxasmq6b.com",
}

var emails = []string{
	"ann@example.com", "ann@example", "Ann <ann@example.com>", "ann.b+tag@sub.example.co.uk",
	".ann@example.com", "ann.@example.com", "a..b@example.com", "ann@example.c", "ann@-example.com",
	"ann@exa_mple.com", "o'brien@example.com", "ann'@example.com", "ann@example.com.", "ann@[127.0.0.1]",
	`"ann"@example.com`, "ann@example.co1", "ann@localhost", "ann@münchen.de", "ann@xn--mnchen-3ya.de",
	"a@b.cd", "ann@example.com ", "ANN@EXAMPLE.COM", "ann@ex-ample.com", "ann@example..com",
	"ann!x@example.com", "ann@sub-.example.com", "-@example.com", "ann@123.com", "ann@example.123",
}

var semvers = []string{
	"1.0.0-beta.1", "1.0.0+build.5", "1.2.3-rc.1+meta", "0.0.0",
}

var nonSemvers = []string{
	"v1.0.0", "1.0", "1", "01.0.0", "1.0.0.0", "latest", "1.0.0-", "1.0.0-01", " 1.0.0", "1.0.0 ",
}

var numbers = []string{
	"0", "-1", "1.5", "1e3", "1e308", "1.7976931348623157e308", "1e309", "1e400", "-1e400", "1e-400",
	"12345678901234567890123", "-0",
}

// mutations apply to fullManifest(v, "node") of each version; a mutation
// whose path does not exist in v is skipped.
func mutations() []mutation {
	var ms []mutation
	add := func(m mutation) { ms = append(ms, m) }

	for _, p := range stringFields {
		rule := ""
		switch p {
		case "version":
			rule = ruleSemver
		case "server.entry_point":
			rule = ruleEntryPoint
		case "server.mcp_config.command":
			rule = ruleCommand
		}
		add(mutation{name: "empty " + p, apply: set(p, ""), rule: rule})
	}
	for _, p := range []string{"name", "server.entry_point", "server.mcp_config.command", "icons[0].theme", "author.name", "version", "icon"} {
		rule := map[string]string{"version": ruleSemver, "server.entry_point": ruleEntryPoint, "server.mcp_config.command": ruleCommand}[p]
		add(mutation{name: "blank " + p, apply: set(p, "  "), rule: rule})
	}
	for _, p := range requiredFields {
		add(mutation{name: "missing " + p, apply: del(p)})
	}
	for _, p := range objectFields {
		name := p
		if name == "" {
			name = "top level"
		}
		add(mutation{name: "unknown key in " + name, apply: func(m map[string]any) {
			obj := m
			if p != "" {
				obj, _ = getPath(m, p).(map[string]any)
			}
			if obj != nil {
				obj["x_unknown"] = "x"
			}
		}})
	}

	// Wrong types and nulls.
	for _, tc := range []struct {
		path string
		val  any
	}{
		{"name", num("42")}, {"version", num("1")}, {"description", nil}, {"display_name", nil},
		{"author", "Ann"}, {"author.name", num("1")}, {"server.type", num("1")}, {"server.entry_point", []any{}},
		{"server.mcp_config.args", "x"}, {"server.mcp_config.args", []any{num("1")}},
		{"server.mcp_config.env", map[string]any{"A": num("1")}}, {"server.mcp_config.env", []any{}},
		{"server.mcp_config.platform_overrides", []any{}}, {"tools", map[string]any{}},
		{"tools_generated", "yes"}, {"prompts_generated", num("1")}, {"keywords", "a"}, {"screenshots", []any{num("1")}},
		{"compatibility.platforms", "linux"}, {"compatibility", []any{}}, {"user_config", []any{}},
		{"user_config.api_key", "x"}, {"user_config.api_key.required", "true"},
		{"user_config.count.min", "1"}, {"user_config.count.default", map[string]any{}},
		{"user_config.count.default", []any{num("1")}}, {"user_config.count.default", nil},
		{"user_config.count.default", []any{"a", "b"}}, {"user_config.count.default", []any{}},
		{"user_config.count.default", true}, {"user_config.count.default", "5"},
		{"_meta", map[string]any{"a": num("1")}}, {"_meta", []any{}}, {"_meta", map[string]any{}},
		{"_meta", map[string]any{"a": map[string]any{"n": nil, "o": map[string]any{"deep": []any{num("1e400")}}}}},
		{"icons", map[string]any{}}, {"icons", []any{"icon.png"}}, {"localization", "en"},
		{"privacy_policies", "https://example.com/p"}, {"license", map[string]any{"type": "MIT"}},
		{"repository", "https://github.com/a/b"}, {"homepage", num("1")}, {"prompts[0].arguments", []any{num("1")}},
	} {
		add(mutation{name: fmt.Sprintf("type %s=%s", tc.path, compact(tc.val)), apply: set(tc.path, tc.val)})
	}

	// Numbers.
	for _, n := range numbers {
		for _, p := range []string{"user_config.count.min", "user_config.count.max", "user_config.count.default"} {
			add(mutation{name: fmt.Sprintf("number %s=%s", p, n), apply: set(p, num(n))})
		}
	}
	add(mutation{name: "number min > max", apply: func(m map[string]any) {
		setPath(m, "user_config.count.min", num("10"))
		setPath(m, "user_config.count.max", num("1"))
	}})

	// Versions.
	for _, v := range semvers {
		add(mutation{name: "version " + v, apply: set("version", v)})
	}
	for _, v := range nonSemvers {
		add(mutation{name: "version " + v, apply: set("version", v), rule: ruleSemver})
	}

	// Entry points.
	for _, ep := range []string{"missing.js", "../outside.js", "/abs/index.js", "./server/index.js", "server", "server/../server/index.js"} {
		add(mutation{name: "entry_point " + ep, apply: set("server.entry_point", ep), rule: ruleEntryPoint})
	}

	// Icons.
	for _, tc := range []struct {
		name, icon string
		files      map[string]string
		rule       string
	}{
		{"png", "icon.png", nil, ""},
		{"missing file", "missing.png", nil, ""},
		{"svg", "icon.svg", map[string]string{"icon.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"}, ""},
		{"png name, not png", "fake.png", map[string]string{"fake.png": "not a png"}, ""},
		{"absolute", "/icon.png", nil, ""},
		{"dirname prefix", "${__dirname}/icon.png", nil, ""},
		{"https", "https://example.com/icon.png", nil, ""},
		{"http", "http://example.com/icon.png", nil, ""},
		{"dot slash", "./icon.png", nil, ""},
		{"subdir", "assets/icon.png", map[string]string{"assets/icon.png": pngMarker}, ""},
		{"file url", "file:///etc/passwd", nil, ruleIconLink},
		{"javascript", "javascript:alert(1)", nil, ruleIconLink},
		{"directory", "server", nil, ""},
		{"missing, no icon file at all", "icon.png", map[string]string{"icon.png": ""}, ""},
	} {
		add(mutation{name: "icon " + tc.name, apply: set("icon", tc.icon), files: tc.files, rule: tc.rule})
	}
	add(mutation{name: "icon absent", apply: del("icon"), files: map[string]string{"icon.png": ""}})
	for _, size := range []string{"16x16", "512", "16X16", "0x0", " 16x16", "16x16 ", "1x1x1"} {
		add(mutation{name: "icons size " + size, apply: set("icons[0].size", size)})
	}
	for _, src := range []string{"missing.png", "https://example.com/i.png", "/abs.png", "${__dirname}/icon.png"} {
		add(mutation{name: "icons src " + src, apply: set("icons[0].src", src)})
	}
	add(mutation{name: "icons theme dark", apply: set("icons[0].theme", "dark")})
	add(mutation{name: "icons empty array", apply: set("icons", []any{})})

	// URLs and emails.
	for _, u := range urls {
		add(mutation{name: "url homepage " + u, apply: set("homepage", u)})
	}
	for _, p := range []string{"author.url", "repository.url", "privacy_policies[0]", "documentation", "support"} {
		for _, u := range []string{"https://example.com/a b", "git+https://github.com/a/b.git", "example.com", "javascript:alert(1)"} {
			add(mutation{name: "url " + p + " " + u, apply: set(p, u)})
		}
	}
	for _, e := range emails {
		add(mutation{name: "email " + e, apply: set("author.email", e)})
	}

	// user_config.
	for _, t := range []string{"string", "number", "boolean", "directory", "file", "integer", "String", ""} {
		add(mutation{name: "user_config type " + t, apply: set("user_config.api_key.type", t)})
	}
	for _, tc := range []struct {
		name string
		opt  map[string]any
	}{
		{"directory multiple", map[string]any{"type": "directory", "title": "t", "description": "d", "multiple": true, "default": []any{"${HOME}/a", "${HOME}/b"}}},
		{"boolean default", map[string]any{"type": "boolean", "title": "t", "description": "d", "default": true}},
		{"boolean default string", map[string]any{"type": "boolean", "title": "t", "description": "d", "default": "yes"}},
		{"file default", map[string]any{"type": "file", "title": "t", "description": "d", "default": "${HOME}/x.txt"}},
		{"multiple string", map[string]any{"type": "string", "title": "t", "description": "d", "multiple": "yes"}},
		{"sensitive number", map[string]any{"type": "number", "title": "t", "description": "d", "sensitive": true}},
	} {
		add(mutation{name: "user_config " + tc.name, apply: set("user_config.extra", tc.opt)})
	}
	for _, key := range []string{"a.b", "with space", "", "ключ", "$x"} {
		add(mutation{name: fmt.Sprintf("user_config key %q", key), apply: set("user_config", map[string]any{key: map[string]any{"type": "string", "title": "t", "description": "d"}})})
	}
	add(mutation{name: "user_config empty", apply: set("user_config", map[string]any{})})

	// compatibility.
	for _, tc := range []struct {
		name string
		val  any
	}{
		{"platforms windows", []any{"windows"}}, {"platforms empty", []any{}}, {"platforms dup", []any{"linux", "linux"}},
		{"platforms Linux", []any{"Linux"}}, {"platforms freebsd", []any{"freebsd"}},
	} {
		add(mutation{name: "compatibility " + tc.name, apply: set("compatibility.platforms", tc.val)})
	}
	add(mutation{name: "compatibility runtimes bun", apply: set("compatibility.runtimes.bun", ">=1")})
	add(mutation{name: "compatibility empty", apply: set("compatibility", map[string]any{})})
	add(mutation{name: "compatibility claude_desktop junk", apply: set("compatibility.claude_desktop", "whenever")})

	// localization.
	for _, r := range []string{"mcpb-resources/${locale}.json", "${LOCALE}.json", "resources/en.json", "${ locale }.json"} {
		add(mutation{name: "localization resources " + r, apply: set("localization.resources", r)})
	}
	for _, l := range []string{"en-US", "en_US", "e", "english", "zh-Hant-TW", "toolonglocale", "en-"} {
		add(mutation{name: "localization default_locale " + l, apply: set("localization.default_locale", l)})
	}

	// platform_overrides.
	add(mutation{name: "platform_overrides windows key", apply: set("server.mcp_config.platform_overrides", map[string]any{"windows": map[string]any{"command": "x"}})})
	add(mutation{name: "platform_overrides empty override", apply: set("server.mcp_config.platform_overrides", map[string]any{"linux": map[string]any{}})})
	add(mutation{name: "platform_overrides nested overrides", apply: set("server.mcp_config.platform_overrides.linux", map[string]any{"platform_overrides": map[string]any{}})})

	// Server types.
	for _, t := range []string{"node", "python", "binary", "uv", "nodejs", "Node", ""} {
		add(mutation{name: "server type " + t, apply: set("server.type", t)})
	}
	add(mutation{name: "server uv without mcp_config", apply: func(m map[string]any) {
		setPath(m, "server.type", "uv")
		deletePath(m, "server.mcp_config")
	}, rule: ruleUVConfig})

	// Version keys.
	for _, tc := range []struct {
		name  string
		apply func(m map[string]any)
	}{
		{"manifest_version 0.5", set("manifest_version", "0.5")},
		{"manifest_version 1.0", set("manifest_version", "1.0")},
		{"manifest_version number", set("manifest_version", num("0.3"))},
		{"manifest_version missing", del("manifest_version")},
		{"dxt_version only", func(m map[string]any) { m["dxt_version"] = m["manifest_version"]; delete(m, "manifest_version") }},
		{"dxt_version equal", func(m map[string]any) { m["dxt_version"] = m["manifest_version"] }},
		{"dxt_version differs", set("dxt_version", "0.9")},
		{"dxt_version number, manifest_version ok", set("dxt_version", num("1"))},
		{"manifest_version bogus, dxt_version ok", func(m map[string]any) { m["dxt_version"] = m["manifest_version"]; m["manifest_version"] = "9.9" }},
	} {
		add(mutation{name: "version key " + tc.name, apply: tc.apply})
	}
	return ms
}

// structural cases that are not a mutation of a full manifest.
func extraCases() []Case {
	var cs []Case
	for _, v := range versions {
		types := []string{"node", "python", "binary"}
		if v == "0.4" {
			types = append(types, "uv")
		}
		for _, t := range types {
			cs = append(cs, newCase(fmt.Sprintf("%s minimal %s", v, t), minimalManifest(v, t), map[string]string{"server/index.js": "x"}, ""))
			cs = append(cs, newCase(fmt.Sprintf("%s full %s", v, t), fullManifest(v, t), filesFor(fullManifest(v, t), nil), ""))
		}
		// Keys of later versions.
		for _, k := range []struct {
			key string
			val any
		}{
			{"privacy_policies", []any{"https://example.com/p"}},
			{"icons", []any{map[string]any{"src": "icon.png", "size": "16x16"}}},
			{"localization", map[string]any{"resources": "${locale}.json", "default_locale": "en"}},
			{"_meta", map[string]any{"com.example": map[string]any{}}},
		} {
			m := minimalManifest(v, "node")
			m[k.key] = k.val
			cs = append(cs, newCase(fmt.Sprintf("%s minimal with %s", v, k.key), m, map[string]string{"server/index.js": "x"}, ""))
		}
	}
	for _, raw := range []string{`[]`, `{}`, `null`, `"0.3"`} {
		cs = append(cs, Case{Name: "document " + raw, Manifest: json.RawMessage(raw)})
	}
	return cs
}

func filesFor(m map[string]any, override map[string]string) map[string]string {
	files := defaultFiles()
	if srv, ok := m["server"].(map[string]any); ok {
		if ep, ok := srv["entry_point"].(string); ok && ep == "server/main.py" {
			delete(files, "server/index.js")
			files["server/main.py"] = "print('hi')\n"
		}
	}
	for k, v := range override {
		if v == "" {
			delete(files, k)
		} else {
			files[k] = v
		}
	}
	return files
}

func newCase(name string, m map[string]any, files map[string]string, rule string) Case {
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("%s: %v", name, err))
	}
	return Case{Name: name, Manifest: b, Files: files, Rule: rule}
}

// detailVersion is the one version that gets the long lists of values
// (URLs, emails, numbers, …): their rules are the same in every version,
// and the corpus stays small enough to review.
const detailVersion = "0.3"

func isDetail(name string) bool {
	for _, p := range []string{"url ", "email ", "number ", "user_config ", "compatibility ", "localization ", "icons ", "platform_overrides ", "type "} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// generate builds the corpus: extraCases, then every mutation of each
// version's full node manifest.
func generate() []Case {
	cs := extraCases()
	for _, v := range versions {
		for _, mu := range mutations() {
			if v != detailVersion && isDetail(mu.name) {
				continue
			}
			m := fullManifest(v, "node")
			before := compact(m)
			mu.apply(m)
			if compact(m) == before && !strings.HasPrefix(mu.name, "icon ") && !strings.HasPrefix(mu.name, "version ") {
				continue // the path does not exist in this version
			}
			cs = append(cs, newCase(v+" "+mu.name, m, filesFor(m, mu.files), mu.rule))
		}
	}
	seen := map[string]bool{}
	out := cs[:0]
	for _, c := range cs {
		if !seen[c.Name] {
			seen[c.Name] = true
			out = append(out, c)
		}
	}
	return out
}

func compact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Paths are dotted keys with [n] indexes, as in "prompts[0].arguments[0]".
func splitPath(p string) []string {
	var parts []string
	for _, seg := range strings.Split(p, ".") {
		for {
			i := strings.IndexByte(seg, '[')
			if i < 0 {
				parts = append(parts, seg)
				break
			}
			if i > 0 {
				parts = append(parts, seg[:i])
			}
			j := strings.IndexByte(seg, ']')
			parts = append(parts, seg[i:j+1])
			seg = seg[j+1:]
			if seg == "" {
				break
			}
		}
	}
	return parts
}

func index(seg string) (int, bool) {
	if !strings.HasPrefix(seg, "[") {
		return 0, false
	}
	n, err := strconv.Atoi(seg[1 : len(seg)-1])
	return n, err == nil
}

func getPath(m map[string]any, p string) any {
	var cur any = m
	for _, seg := range splitPath(p) {
		if i, ok := index(seg); ok {
			arr, _ := cur.([]any)
			if i >= len(arr) {
				return nil
			}
			cur = arr[i]
			continue
		}
		obj, _ := cur.(map[string]any)
		if obj == nil {
			return nil
		}
		cur = obj[seg]
	}
	return cur
}

// setPath sets an existing path's value, or adds the last key to an
// existing object; it does nothing when the parent does not exist.
func setPath(m map[string]any, p string, val any) {
	parts := splitPath(p)
	parent := getPath(m, strings.Join(parts[:len(parts)-1], "."))
	if len(parts) == 1 {
		parent = m
	}
	last := parts[len(parts)-1]
	if i, ok := index(last); ok {
		if arr, _ := parent.([]any); i < len(arr) {
			arr[i] = val
		}
		return
	}
	if obj, _ := parent.(map[string]any); obj != nil {
		obj[last] = val
	}
}

func deletePath(m map[string]any, p string) {
	parts := splitPath(p)
	parent := any(m)
	if len(parts) > 1 {
		parent = getPath(m, strings.Join(parts[:len(parts)-1], "."))
	}
	if obj, _ := parent.(map[string]any); obj != nil {
		delete(obj, parts[len(parts)-1])
	}
}
