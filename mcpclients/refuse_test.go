package mcpclients

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRefusals: a file that does not parse and an entry mpak did not
// write are refused with nothing written; --force replaces the entry.
func TestRefusals(t *testing.T) {
	for _, tc := range []struct{ client, broken string }{
		{"claude-desktop", `{"mcpServers": {"a": {"command": "x"}`},
		{"vscode", `{"servers": [1, 2]}`},
		{"codex", "[mcp_servers.a]\ncommand = \n"},
	} {
		c, _ := Lookup(tc.client)
		path := filepath.Join(t.TempDir(), "config")
		must(t, os.WriteFile(path, []byte(tc.broken), 0o600))
		rec, _ := LoadRecord(filepath.Join(t.TempDir(), "clients.json"))
		_, err := Add(rec, c, Wiring{File: path, Name: "weather", Entry: testEntry}, true)
		if err == nil || !strings.Contains(err.Error(), "mpak does not overwrite it") {
			t.Errorf("%s: broken file: err = %v", tc.client, err)
		}
		if b, _ := os.ReadFile(path); string(b) != tc.broken {
			t.Errorf("%s: broken file changed", tc.client)
		}
		if _, err := os.Stat(BackupPath(path)); !os.IsNotExist(err) {
			t.Errorf("%s: a backup was written", tc.client)
		}
	}

	for _, name := range []string{"cursor", "codex"} {
		c, _ := Lookup(name)
		path, original := fixture(t, c)
		rec, _ := LoadRecord(filepath.Join(t.TempDir(), "clients.json"))
		hand := "sqlite"
		if name == "codex" {
			hand = "docs"
		}
		_, err := Add(rec, c, Wiring{File: path, Name: hand, Entry: testEntry}, false)
		if !errors.Is(err, ErrNotOurs) || !strings.Contains(err.Error(), "--force") {
			t.Errorf("%s: clash: err = %v", name, err)
		}
		if _, err := Remove(rec, c, path, hand, false); !errors.Is(err, ErrNotOurs) {
			t.Errorf("%s: removing a hand-written entry: err = %v", name, err)
		}
		if b, _ := os.ReadFile(path); !bytes.Equal(b, original) {
			t.Errorf("%s: refused edit changed the file", name)
		}
		p, err := Add(rec, c, Wiring{File: path, Name: hand, Entry: testEntry}, true)
		if err != nil || p.Change != Replaced {
			t.Fatalf("%s: --force: %v %v", name, err, p)
		}
		must(t, p.Apply())
		b, _ := os.ReadFile(path)
		f, err := Open(c, path)
		must(t, err)
		if e, ok, _ := f.Entry(hand); !ok || !e.Equal(testEntry) {
			t.Errorf("%s: forced entry = %+v\n%s", name, e, b)
		}
		if name == "codex" {
			// Replaced in place: the tables after it and their comments stay.
			if !strings.Contains(string(b), "inherit = \"core\"") || !strings.Contains(string(b), "# Shell environment policy follows.\n[shell_environment_policy]") ||
				strings.Contains(string(b), "docs-server") || strings.Index(string(b), "[mcp_servers.docs]") > strings.Index(string(b), "[shell_environment_policy]") {
				t.Errorf("codex: in-place replacement:\n%s", b)
			}
		}
	}
}

// TestEmptyAndMissingFiles: a client that has never been configured gets
// a file holding just the entry.
func TestEmptyAndMissingFiles(t *testing.T) {
	for _, name := range Names() {
		c, _ := Lookup(name)
		for _, initial := range []*string{nil, new(string)} {
			path := filepath.Join(t.TempDir(), "sub", "config")
			if initial != nil {
				must(t, os.MkdirAll(filepath.Dir(path), 0o755))
				must(t, os.WriteFile(path, []byte(*initial), 0o600))
			}
			rec, _ := LoadRecord(filepath.Join(t.TempDir(), "clients.json"))
			p, err := Add(rec, c, Wiring{File: path, Name: "weather", Entry: testEntry}, false)
			must(t, err)
			must(t, p.Apply())
			f, err := Open(c, path)
			must(t, err)
			if e, ok, _ := f.Entry("weather"); !ok || !e.Equal(testEntry) {
				b, _ := os.ReadFile(path)
				t.Errorf("%s: entry = %+v\n%s", name, e, b)
			}
		}
	}
}

// TestCodexInlineEntry: a server written as an inline table is refused
// rather than rewritten, and a new server is still added after it.
func TestCodexInlineEntry(t *testing.T) {
	c, _ := Lookup("codex")
	path := filepath.Join(t.TempDir(), "config.toml")
	orig := "[mcp_servers]\nweather = { command = \"old\" }\n"
	must(t, os.WriteFile(path, []byte(orig), 0o600))
	rec, _ := LoadRecord(filepath.Join(t.TempDir(), "clients.json"))
	if _, err := Add(rec, c, Wiring{File: path, Name: "weather", Entry: testEntry}, true); err == nil || !strings.Contains(err.Error(), "inline") {
		t.Errorf("inline entry: err = %v", err)
	}
	p, err := Add(rec, c, Wiring{File: path, Name: "clock", Entry: testEntry}, false)
	must(t, err)
	must(t, p.Apply())
	b, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(b), orig) {
		t.Errorf("the file's start changed:\n%s", b)
	}
	f, err := Open(c, path)
	must(t, err)
	if names := f.Names(); strings.Join(names, ",") != "clock,weather" {
		t.Errorf("servers = %v\n%s", names, b)
	}
}
