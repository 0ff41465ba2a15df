package mcpb

import (
	"strings"
	"testing"
)

// TestLinkScheme: the scheme is read as a browser reads it, after
// stripping leading controls and spaces and dropping tabs and newlines.
func TestLinkScheme(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://example.com":         "https",
		"HTTP://example.com":          "http",
		"javascript:alert(1)":         "javascript",
		"JaVaScRiPt:alert(1)":         "javascript",
		" \t\x01javascript:alert(1)":  "javascript",
		"java\tscr\nipt:alert(1)":     "javascript",
		"data:text/html,<b>":          "data",
		"vbscript:msgbox(1)":          "vbscript",
		"file:///etc/passwd":          "file",
		"git+https://example.com/a":   "git+https",
		"icon.png":                    "",
		"assets/a:b.png":              "",
		"./javascript:alert(1)":       "",
		"1javascript:alert(1)":        "",
		"":                            "",
		":":                           "",
		"//example.com/protocol-rel":  "",
		"\x00\x1f data:,x":            "data",
		"javascript\x00:alert(1)":     "",
		"https://example.com/a:b?c:d": "https",
	} {
		if got := linkScheme(in); got != want {
			t.Errorf("linkScheme(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNonWebLinksWarn: every address field of the manifest warns, naming
// itself and the fix, when its scheme is not http(s); the warning is
// advice, so it does not make strict validation fail by itself.
func TestNonWebLinksWarn(t *testing.T) {
	t.Parallel()
	const base = `{"manifest_version": "0.3", "name": "n", "version": "1.0.0", "description": "d",
	  "author": {"name": "a", "url": %AUTHOR%},
	  "repository": {"type": "git", "url": %REPO%},
	  "homepage": %LINK%, "documentation": %LINK%, "support": %LINK%, "icon": %LINK%,
	  "icons": [{"src": %LINK%, "size": "16x16"}], "screenshots": [%LINK%], "privacy_policies": [%LINK%],
	  "server": {"type": "node", "entry_point": "s.js", "mcp_config": {"command": "node"}}}`
	fields := []string{"author.url", "repository.url", "homepage", "documentation", "support", "icon",
		"icons[0].src", "screenshots[0]", "privacy_policies[0]"}
	manifest := func(author, repo, link string) []byte {
		return []byte(strings.NewReplacer("%AUTHOR%", author, "%REPO%", repo, "%LINK%", link).Replace(base))
	}
	for _, link := range []string{`"javascript:alert(1)"`, `"DATA:text/html,x"`, `"vbscript:x"`, `"file:///etc/passwd"`} {
		_, warns, err := ParseManifest(manifest(link, link, link), ParseOptions{Strict: true, RequireSemver: true})
		if err != nil {
			t.Fatalf("%s: %v", link, err)
		}
		for _, f := range fields {
			found := false
			for _, w := range warns {
				found = found || w.Path == f && w.Warning && strings.Contains(w.Message, "not http(s)") && strings.Contains(w.Message, "https://")
			}
			if !found {
				t.Errorf("%s in %s: no warning, got %v", link, f, warns)
			}
		}
	}
	// Leading whitespace and controls do not hide the scheme. WHATWG URL
	// parsing (and so the mcpb CLI) strips them, so strict validation
	// accepts the URL, and the warning still names the scheme.
	_, warns, err := ParseManifest(manifest(`"\u0001 javascript:alert(1)"`, `"https://example.com/r"`, `"https://example.com"`), ParseOptions{Strict: true})
	if err != nil || len(warns) != 1 || warns[0].Path != "author.url" || !strings.Contains(warns[0].Message, "javascript:") {
		t.Errorf("control-prefixed javascript: err %v, warnings %v", err, warns)
	}
	// Web addresses, bundle paths and npm's git+https draw nothing.
	_, warns, err = ParseManifest(manifest(`"https://example.com/a"`, `"git+https://example.com/r.git"`, `"https://example.com"`), ParseOptions{Strict: true})
	if err != nil || len(warns) != 0 {
		t.Errorf("web links: err %v, warnings %v", err, warns)
	}
	_, warns, _ = ParseManifest([]byte(strings.Replace(string(manifest(`"http://example.com"`, `"https://example.com/r"`, `"https://example.com"`)),
		`"icon": "https://example.com"`, `"icon": "icon.png"`, 1)), ParseOptions{Strict: true})
	if len(warns) != 0 {
		t.Errorf("icon path: warnings %v", warns)
	}
}
