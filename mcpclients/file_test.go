package mcpclients

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
	"github.com/tailscale/hujson"
)

var testEntry = Entry{
	Command: "/usr/local/bin/mpak",
	Args:    []string{"run", "registry.example/mcp/acme/weather:1.2.0", "--config", "units=metric"},
	Env:     map[string]string{"MPAK_CONFIG": "/home/me/.config/mpak/config.json"},
}

// fixture copies testdata/<client>.<ext> to a temporary directory.
func fixture(t *testing.T, c *Client) (path string, original []byte) {
	t.Helper()
	ext := ".json"
	if c.Format == TOML {
		ext = ".toml"
	}
	b, err := os.ReadFile(filepath.Join("testdata", c.Name+ext))
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "config"+ext)
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
	return path, b
}

// decodeFile reads the file as a client would: the servers it holds.
func decodeFile(t *testing.T, c *Client, b []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	if c.Format == TOML {
		if err := toml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("not TOML after the edit: %v\n%s", err, b)
		}
	} else {
		std, err := hujson.Standardize(bytes.Clone(b))
		if err != nil {
			t.Fatalf("not JSON after the edit: %v\n%s", err, b)
		}
		if err := json.Unmarshal(std, &doc); err != nil {
			t.Fatal(err)
		}
	}
	return doc
}

// TestEditEveryClient: per client, on a file with comments, other
// servers and its own formatting: the entry is added where the client
// reads it, every other line stays byte for byte, the same edit again
// writes nothing, and removing the entry gives back the original file.
func TestEditEveryClient(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			c, err := Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			path, original := fixture(t, c)
			rec, err := LoadRecord(filepath.Join(t.TempDir(), "clients.json"))
			if err != nil {
				t.Fatal(err)
			}
			w := Wiring{File: path, Name: "weather", Ref: testEntry.Args[1], Entry: testEntry}
			p, err := Add(rec, c, w, false)
			if err != nil {
				t.Fatal(err)
			}
			if p.Change != Added {
				t.Fatalf("change = %s, want added", p.Change)
			}
			if err := p.Apply(); err != nil {
				t.Fatal(err)
			}
			after, _ := os.ReadFile(path)
			t.Logf("after install:\n%s", after)

			// The client finds the entry, shaped as it expects, and the
			// other servers and settings are still there.
			doc := decodeFile(t, c, after)
			servers, _ := doc[c.ServersKey].(map[string]any)
			got, _ := servers["weather"].(map[string]any)
			if got["command"] != testEntry.Command || len(got["args"].([]any)) != 4 || got["env"].(map[string]any)["MPAK_CONFIG"] != testEntry.Env["MPAK_CONFIG"] {
				t.Errorf("entry as read back: %v", got)
			}
			if c.StdioType != (got["type"] == "stdio") {
				t.Errorf("type = %v, want stdio only for clients that write it", got["type"])
			}
			origDoc := decodeFile(t, c, original)
			for k := range origDoc {
				if _, ok := doc[k]; !ok {
					t.Errorf("setting %q lost", k)
				}
			}
			if origServers, ok := origDoc[c.ServersKey].(map[string]any); ok {
				for k := range origServers {
					if _, ok := servers[k]; !ok {
						t.Errorf("server %q lost", k)
					}
				}
			}
			// Every original line survives, comments included (less
			// commas, and the line that opens the servers object, which
			// may hold its members on one line).
			for _, line := range strings.Split(string(original), "\n") {
				if strings.Contains(line, `"`+c.ServersKey+`"`) {
					continue
				}
				noCommas := strings.ReplaceAll(string(after), ",", "")
				if l := strings.ReplaceAll(strings.TrimSpace(line), ",", ""); l != "" && !strings.Contains(noCommas, l) {
					t.Errorf("line %q lost", line)
				}
			}
			if bak, err := os.ReadFile(BackupPath(path)); err != nil || !bytes.Equal(bak, original) {
				t.Errorf("backup: %v, equal=%v", err, bytes.Equal(bak, original))
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
				t.Errorf("permissions %v, want the file's own 0640", fi.Mode().Perm())
			}

			// Idempotent: the same edit again changes nothing.
			p, err = Add(rec, c, w, false)
			if err != nil {
				t.Fatal(err)
			}
			if p.Change != Unchanged {
				t.Errorf("second install: change = %s", p.Change)
			}
			if err := p.Apply(); err != nil {
				t.Fatal(err)
			}
			if again, _ := os.ReadFile(path); !bytes.Equal(again, after) {
				t.Errorf("second install rewrote the file:\n%s", again)
			}

			// A new version replaces the entry in place.
			w2 := w
			w2.Entry.Args = []string{"run", "registry.example/mcp/acme/weather:1.3.0"}
			if p, err = Add(rec, c, w2, false); err != nil || p.Change != Replaced {
				t.Fatalf("update: %v, %v", err, p)
			}
			must(t, p.Apply())
			updated, _ := os.ReadFile(path)
			if !strings.Contains(string(updated), "weather:1.3.0") || strings.Contains(string(updated), "weather:1.2.0") {
				t.Errorf("update:\n%s", updated)
			}

			// Uninstall removes exactly that entry: the original file.
			p, err = Remove(rec, c, path, "weather", false)
			if err != nil {
				t.Fatal(err)
			}
			must(t, p.Apply())
			removed, _ := os.ReadFile(path)
			if c.Name == "windsurf" {
				// The servers object mpak created stays, empty.
				if !strings.Contains(string(removed), `"mcpServers": {}`) || !strings.Contains(string(removed), `"theme": "dark"`) {
					t.Errorf("after uninstall:\n%s", removed)
				}
			} else if !bytes.Equal(removed, original) {
				t.Errorf("after uninstall the file differs from the original:\n%s\nwant:\n%s", removed, original)
			}
			if len(rec.List("")) != 0 {
				t.Errorf("record after uninstall: %v", rec.List(""))
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestCRLFKept: a file with Windows line endings keeps them, in the
// lines mpak adds too, and uninstalling gives it back byte for byte.
func TestCRLFKept(t *testing.T) {
	for _, name := range Names() {
		c, _ := Lookup(name)
		path, lf := fixture(t, c)
		orig := bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n"))
		must(t, os.WriteFile(path, orig, 0o600))
		rec, _ := LoadRecord(filepath.Join(t.TempDir(), "clients.json"))
		p, err := Add(rec, c, Wiring{File: path, Name: "weather", Entry: testEntry}, false)
		must(t, err)
		must(t, p.Apply())
		after, _ := os.ReadFile(path)
		if n, crlf := bytes.Count(after, []byte("\n")), bytes.Count(after, []byte("\r\n")); n != crlf || bytes.Contains(after, []byte("\r\r")) {
			t.Errorf("%s: %d line ends, %d of them CRLF:\n%q", name, n, crlf, after)
		}
		f, err := Open(c, path)
		must(t, err)
		if e, ok, _ := f.Entry("weather"); !ok || !e.Equal(testEntry) {
			t.Errorf("%s: entry %+v", name, e)
		}
		p, err = Remove(rec, c, path, "weather", false)
		must(t, err)
		must(t, p.Apply())
		if removed, _ := os.ReadFile(path); name != "windsurf" && !bytes.Equal(removed, orig) {
			t.Errorf("%s: after uninstall:\n%q\nwant\n%q", name, removed, orig)
		}
	}
}
