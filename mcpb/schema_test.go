package mcpb

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestSchemasLoad: the embedded files load, and hold the invariants the
// validator relies on.
func TestSchemasLoad(t *testing.T) {
	t.Parallel()
	s, err := loadSchemas()
	if err != nil {
		t.Fatal(err)
	}
	// A later version allows everything an earlier one does: versionFindings
	// reads a finding that goes away in a later version as a version rule.
	var prev []string
	for _, v := range SupportedManifestVersions {
		keys := s.names(s.byVersion[v])
		for _, k := range prev {
			if !slices.Contains(keys, k) {
				t.Errorf("manifest-%s.json drops %q, which the version before it allows", v, k)
			}
		}
		prev = keys
	}
	// Every required key is declared where a message can find whether it
	// is hard.
	for v, root := range s.byVersion {
		err := root.walk("", func(n *schemaNode, loc string) error {
			for _, r := range n.Required {
				if n.Properties[r] == nil && n.If == nil {
					t.Errorf("manifest-%s.json%s: required %q is not among the properties %v", v, loc, r, s.names(n))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestSchemaSubset: a keyword the evaluator does not implement is refused
// when the files load, rather than silently ignored.
func TestSchemaSubset(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{
		`{"type": "array", "minItems": 1}`,
		`{"properties": {"a": {"oneOf": [{"type": "string"}]}}}`,
		`{"type": 7}`,
	} {
		var n schemaNode
		if err := decodeStrict([]byte(bad), &n); err == nil {
			t.Errorf("%s loaded", bad)
		}
	}
	n := &schemaNode{Format: "uri", loc: "x.json#"}
	if err := n.prepare("x.json", nil); err == nil || !strings.Contains(err.Error(), `unknown format "uri"`) {
		t.Errorf("format uri: %v", err)
	}
	n = &schemaNode{Ref: "#/definitions/x"}
	if err := n.prepare("x.json", map[string]*schemaNode{"x.json": {}}); err == nil {
		t.Error("a $ref outside $defs resolved")
	}
}

// TestSchemaServerTypes: each version accepts its server types, with and
// without mcp_config as the version says.
func TestSchemaServerTypes(t *testing.T) {
	t.Parallel()
	for _, version := range SupportedManifestVersions {
		for _, typ := range []string{ServerNode, ServerPython, ServerBinary, ServerUV} {
			for _, withConfig := range []bool{true, false} {
				name := fmt.Sprintf("%s %s mcp_config=%v", version, typ, withConfig)
				m := baseManifest(version)
				get(m, "server")["type"] = typ
				if !withConfig {
					delete(get(m, "server"), "mcp_config")
				}
				_, warns, strictErr := ParseManifest(mustJSON(t, m), ParseOptions{Strict: true})
				_, _, lenientErr := ParseManifest(mustJSON(t, m), ParseOptions{})
				uvAllowed := version == ManifestVersion04
				switch {
				case typ == ServerUV && !uvAllowed:
					// Soft: strict refuses, lenient reads it with warnings.
					assertProblems(t, name, problemsOf(strictErr), []string{
						fmt.Sprintf(`server.type: "uv" is not allowed in manifest_version %s (added in 0.4; raise manifest_version to 0.4)`, version)})
					if lenientErr != nil {
						t.Errorf("%s: lenient: %v", name, lenientErr)
					}
				case typ == ServerUV || withConfig:
					if strictErr != nil || lenientErr != nil || len(warns) > 0 {
						t.Errorf("%s: strict %v, lenient %v, warnings %v", name, strictErr, lenientErr, warns)
					}
				default:
					// Without mcp_config no host can start it: hard.
					assertProblems(t, name+" strict", problemsOf(strictErr), []string{"server.mcp_config: required field is missing"})
					assertProblems(t, name+" lenient", problemsOf(lenientErr), []string{"server.mcp_config: required field is missing"})
				}
			}
		}
	}
}

// TestSchemaKeysByVersion: a key added in a later version is refused with
// the version that added it when strict, and read and checked when
// lenient.
func TestSchemaKeysByVersion(t *testing.T) {
	t.Parallel()
	added := map[string]struct {
		since string
		value any
		bad   any    // a value of the wrong type
		want  string // the finding about bad
	}{
		"privacy_policies": {"0.2", []any{"https://example.com/p"}, []any{7}, "privacy_policies[0]: want a string, got a number"},
		"icons":            {"0.3", []any{map[string]any{"src": "i.png", "size": "16x16"}}, []any{map[string]any{"src": "i.png", "size": 16}}, "icons[0].size: want a string, got a number"},
		"localization":     {"0.3", map[string]any{"resources": "${locale}.json", "default_locale": "en"}, map[string]any{"resources": true, "default_locale": "en"}, "localization.resources: want a string, got a boolean"},
		"_meta":            {"0.3", map[string]any{"com.example": map[string]any{}}, map[string]any{"com.example": 1}, `_meta["com.example"]: want an object, got a number`},
	}
	for key, a := range added {
		for _, version := range SupportedManifestVersions {
			m := baseManifest(version)
			m[key] = a.value
			pm, warns, strictErr := ParseManifest(mustJSON(t, m), ParseOptions{Strict: true})
			if !versionBefore(version, a.since) {
				if strictErr != nil || len(warns) > 0 {
					t.Errorf("%s in %s: %v %v", key, version, strictErr, warns)
				}
				continue
			}
			want := fmt.Sprintf("%s: not allowed in manifest_version %s (added in %s; raise manifest_version or remove the key)", key, version, a.since)
			assertProblems(t, key+" in "+version, problemsOf(strictErr), []string{want})
			if pm != nil {
				t.Errorf("%s in %s: strict returned a manifest", key, version)
			}
			lm, warns, err := ParseManifest(mustJSON(t, m), ParseOptions{})
			if err != nil || lm == nil {
				t.Fatalf("%s in %s: lenient: %v", key, version, err)
			}
			assertProblems(t, key+" in "+version+" warnings", warns, []string{want})
			// The key is kept, so its content is checked too.
			m[key] = a.bad
			_, _, err = ParseManifest(mustJSON(t, m), ParseOptions{})
			assertProblems(t, key+" in "+version+" of the wrong type", problemsOf(err), []string{a.want})
		}
	}
}

func versionBefore(a, b string) bool {
	return slices.Index(SupportedManifestVersions, a) < slices.Index(SupportedManifestVersions, b)
}

// TestSchemaMessages pins the whole message of each kind of schema
// finding: the JSON path, the offending value and the fix.
func TestSchemaMessages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		mutate func(m map[string]any)
		want   string
		hard   bool // an error when lenient, too
	}{
		{"type", func(m map[string]any) { get(m, "server", "mcp_config")["command"] = 1 },
			"server.mcp_config.command: want a string, got a number", true},
		{"type union", func(m map[string]any) {
			m["user_config"] = map[string]any{"k": map[string]any{"type": "string", "title": "t", "description": "d", "default": map[string]any{}}}
		}, "user_config.k.default: want a string, number, boolean or array of strings, got an object", true},
		{"type with why", func(m map[string]any) {
			m["user_config"] = map[string]any{"k": map[string]any{"type": "string", "title": "t", "description": "d", "default": []any{false}}}
		}, "user_config.k.default[0]: want a string, got a boolean (an array default holds strings only)", true},
		{"required, hard", func(m map[string]any) { delete(get(m, "author"), "name") },
			"author.name: required field is missing", true},
		{"required, soft", func(m map[string]any) { m["prompts"] = []any{map[string]any{"name": "p"}} },
			"prompts[0].text: required field is missing", false},
		{"unknown key", func(m map[string]any) { get(m, "server", "mcp_config")["cwd"] = "/" },
			`server.mcp_config.cwd: unknown key "cwd" (allowed: command, args, env, platform_overrides; remove it or fix its spelling)`, false},
		{"unknown key in a record", func(m map[string]any) {
			m["user_config"] = map[string]any{"a.b": map[string]any{"type": "file", "title": "t", "description": "d", "secret": true}}
		}, `user_config["a.b"].secret: unknown key "secret" (allowed: type, title, description, required, default, multiple, sensitive, min, max; remove it or fix its spelling)`, false},
		{"enum, hard, with a hint", func(m map[string]any) { get(m, "server")["type"] = "Python3" },
			`server.type: "Python3" is not one of: python, node, binary (did you mean "python"?)`, true},
		{"enum, soft", func(m map[string]any) { m["compatibility"] = map[string]any{"platforms": []any{"freebsd"}} },
			`compatibility.platforms[0]: "freebsd" is not one of: darwin, win32, linux`, false},
		{"format url", func(m map[string]any) { m["documentation"] = "docs.example.com" },
			`documentation: "docs.example.com" is not an absolute URL (want e.g. https://example.com/page)`, false},
		{"format email", func(m map[string]any) { get(m, "author")["email"] = "ann@localhost" },
			`author.email: "ann@localhost" is not an email address (want name@example.com)`, false},
		{"pattern", func(m map[string]any) {
			m["icons"] = []any{map[string]any{"src": "a.png", "size": "large"}}
		}, `icons[0].size: "large" is not WIDTHxHEIGHT (want e.g. 512x512)`, false},
		{"minLength", func(m map[string]any) {
			m["icons"] = []any{map[string]any{"src": "a.png", "size": "1x1", "theme": ""}}
		}, `icons[0].theme: must not be empty`, false},
		{"registry rule", func(m map[string]any) { get(m, "server", "mcp_config")["command"] = " " },
			`server.mcp_config.command: must not be empty (no host can start the server; use e.g. "node" or "${__dirname}/bin/server")`, false},
	} {
		m := baseManifest("0.3")
		tc.mutate(m)
		data := mustJSON(t, m)
		_, _, err := ParseManifest(data, ParseOptions{Strict: true})
		if probs := problemsOf(err); len(probs) != 1 || probs[0].String() != tc.want {
			t.Errorf("%s: strict\n got %v\nwant %s", tc.name, err, tc.want)
		}
		_, warns, err := ParseManifest(data, ParseOptions{})
		got := warns
		if tc.hard {
			got = problemsOf(err)
		}
		if len(got) != 1 || got[0].String() != tc.want {
			t.Errorf("%s: lenient (hard=%v): error %v, warnings %v", tc.name, tc.hard, err, warns)
		}
	}
}

// TestSchemaLinkWarnsWithBadFormat: a link that is both malformed and not
// http(s) draws both findings. The format and x-link sit in different
// schema objects because a failed format ends the checks of its object
// (as in the reference implementation).
func TestSchemaLinkWarnsWithBadFormat(t *testing.T) {
	t.Parallel()
	m := baseManifest("0.3")
	m["homepage"] = "foo://h:abc"
	_, warns, err := ParseManifest(mustJSON(t, m), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	assertProblems(t, "warnings", warns, []string{
		`homepage: "foo://h:abc" has an invalid port "abc"`,
		`homepage: "foo://h:abc" is a foo: address, not http(s)`,
	})
	if len(warns) != 2 {
		t.Errorf("want 2 warnings, got %q", warns)
	}
}

// TestSchemaRemovesUnknownKeysOnly: the typed view drops unknown keys and
// keeps keys of a later version.
func TestSchemaRemovesUnknownKeysOnly(t *testing.T) {
	t.Parallel()
	m := baseManifest("0.2")
	m["icons"] = []any{map[string]any{"src": "i.png", "size": "16x16", "Theme": "dark"}}
	m["x_extra"] = 1
	pm, warns, err := ParseManifest(mustJSON(t, m), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pm.Icons) != 1 || pm.Icons[0].Theme != "" || pm.Icons[0].Src != "i.png" {
		t.Errorf("icons = %+v, want the icon without the unknown Theme", pm.Icons)
	}
	raw, _ := json.Marshal(pm)
	if strings.Contains(string(raw), "x_extra") {
		t.Errorf("unknown key in the typed view: %s", raw)
	}
	assertProblems(t, "warnings", warns, []string{"icons: not allowed in manifest_version 0.2", `icons[0].Theme: unknown key "Theme"`, `x_extra: unknown key "x_extra"`})
}
