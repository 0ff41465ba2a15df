package mcpclients

import (
	"path/filepath"
	"testing"
)

// TestPaths: each client's documented file, per OS and scope.
func TestPaths(t *testing.T) {
	home := filepath.FromSlash("/home/ada")
	d := Dirs{Home: home, Project: filepath.FromSlash("/src/app")}
	for _, tc := range []struct {
		client, goos string
		scope        Scope
		want         string
	}{
		{"claude-desktop", "darwin", User, "/home/ada/Library/Application Support/Claude/claude_desktop_config.json"},
		{"claude-desktop", "windows", User, "/home/ada/AppData/Roaming/Claude/claude_desktop_config.json"},
		{"claude-desktop", "linux", User, "/home/ada/.config/Claude/claude_desktop_config.json"},
		{"claude-code", "linux", User, "/home/ada/.claude.json"},
		{"claude-code", "darwin", Project, "/src/app/.mcp.json"},
		{"cursor", "linux", User, "/home/ada/.cursor/mcp.json"},
		{"cursor", "windows", Project, "/src/app/.cursor/mcp.json"},
		{"vscode", "darwin", User, "/home/ada/Library/Application Support/Code/User/mcp.json"},
		{"vscode", "linux", User, "/home/ada/.config/Code/User/mcp.json"},
		{"vscode", "linux", Project, "/src/app/.vscode/mcp.json"},
		{"windsurf", "darwin", User, "/home/ada/.codeium/windsurf/mcp_config.json"},
		{"codex", "linux", User, "/home/ada/.codex/config.toml"},
	} {
		c, err := Lookup(tc.client)
		if err != nil {
			t.Fatal(err)
		}
		d.GOOS = tc.goos
		got, err := c.Path(tc.scope, d)
		if err != nil || got != filepath.FromSlash(tc.want) {
			t.Errorf("%s %s %s: %q, %v; want %q", tc.client, tc.goos, tc.scope, got, err, tc.want)
		}
	}
	d.CodexHome = filepath.FromSlash("/opt/codex")
	c, _ := Lookup("codex")
	if got, _ := c.Path(User, d); got != filepath.FromSlash("/opt/codex/config.toml") {
		t.Errorf("CODEX_HOME: %q", got)
	}
	if _, err := c.Path(Project, d); err == nil {
		t.Error("codex has no project scope, but Path gave one")
	}
	if _, err := Lookup("emacs"); err == nil {
		t.Error("unknown client accepted")
	}
}
