package web_test

import (
	"encoding/json"
	"html"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/web"
)

// snippet is the text of the bundle page's element with that id, as a
// browser shows it (and copies it).
func snippet(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<code id="` + regexp.QuoteMeta(id) + `">(.*?)</code>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the page has no snippet %s", id)
	}
	return html.UnescapeString(m[1])
}

// shellArgs has a POSIX shell parse line, a command as a user pastes it
// into a terminal, and returns the words the command (its first word) is
// called with. The command is a shell function that prints them, so
// nothing runs.
func shellArgs(t *testing.T, line string) (string, []string) {
	t.Helper()
	name, _, _ := strings.Cut(line, " ")
	script := name + `() { for a in "$@"; do printf '%s\0' "$a"; done; }; ` + line
	out, err := exec.Command("/bin/sh", "-c", script).Output()
	if err != nil {
		t.Fatalf("sh -c %q: %v", line, err)
	}
	words := strings.Split(string(out), "\x00")
	return name, words[:len(words)-1]
}

// stdioEntry is a server entry as Claude Desktop, Cursor and VS Code read
// it; unknown fields fail the decoding, so a misspelt key shows.
type stdioEntry struct {
	Type    string            `json:"type"`
	Command string            `json:"command"`
	Args    []string          `json:"args"`
	Env     map[string]string `json:"env"`
}

func decodeStrict(t *testing.T, what, text string, into any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		t.Fatalf("%s does not parse as its client's configuration: %v\n%s", what, err, text)
	}
}

// TestSnippetsWorkElsewhere: every command and client configuration on a
// bundle page, parsed the way its client parses it, runs `mpak run` on a
// reference that mpak's own parser resolves to the registry the page was
// served for, with no MPAK_REGISTRY set (where @scope/name would mean
// localhost:5000).
func TestSnippetsWorkElsewhere(t *testing.T) {
	st, err := sqlite.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// Under a namespace, as on ghcr.io/acme/mcp: the repository is not
	// what @scope/name says.
	if err := st.PutVersion(t.Context(), version("mcp/acme/weather", "1.1.0", "Forecasts", "Weather.", 0, false)); err != nil {
		t.Fatal(err)
	}
	tampered := version("mcp/acme/weather", "0.9.0", "Forecasts", "Weather.", 0, false)
	tampered.Tampered = movedTo
	if err := st.PutVersion(t.Context(), tampered); err != nil {
		t.Fatal(err)
	}
	public := httptest.NewServer(web.New(web.Options{Store: st, Namespace: "mcp", PublicHost: "registry.example.com"}))
	t.Cleanup(public.Close)
	bare := httptest.NewServer(web.New(web.Options{Store: st, Namespace: "mcp"}))
	t.Cleanup(bare.Close)

	for _, c := range []struct {
		name, url, host, version string
	}{
		{"public host", public.URL + "/@acme/weather", "registry.example.com", "1.1.0"},
		{"request host", bare.URL + "/@acme/weather/v/1.1.0", bare.Listener.Addr().String(), "1.1.0"},
		{"tampered, pinned by digest", public.URL + "/@acme/weather/v/0.9.0", "registry.example.com", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, body := get(t, c.url)
			// resolves checks a reference as mpak would read it on a
			// machine with no default registry configured.
			resolves := func(what, s string) {
				t.Helper()
				r, err := ref.Parse(s, ref.Defaults{})
				if err != nil {
					t.Fatalf("%s: mpak cannot parse %q: %v", what, s, err)
				}
				if r.Registry != c.host || r.Repository != "mcp/acme/weather" {
					t.Errorf("%s: %q resolves to %s, want %s/mcp/acme/weather", what, s, r.RepositoryRef(), c.host)
				}
				want := ref.Reference{Version: c.version}
				if c.version == "" {
					want.Digest = tampered.Digest
				}
				if r.Version != want.Version || r.Digest != want.Digest {
					t.Errorf("%s: %q names version %q digest %q, want %q %q", what, s, r.Version, r.Digest, want.Version, want.Digest)
				}
			}
			// runs checks the command a client starts.
			runs := func(what, command string, args []string) {
				t.Helper()
				if command != "mpak" || len(args) != 2 || args[0] != "run" {
					t.Fatalf("%s starts %q %q, want mpak run <reference>", what, command, args)
				}
				resolves(what, args[1])
			}

			cmd, args := shellArgs(t, snippet(t, body, "snippet-run"))
			if cmd != "mpak" || len(args) != 3 || args[0] != "bundle" || args[1] != "run" {
				t.Fatalf("run snippet: %s %q", cmd, args)
			}
			resolves("run snippet", args[2])

			cmd, args = shellArgs(t, snippet(t, body, "snippet-pull"))
			if cmd != "mpak" || len(args) != 3 || args[1] != "pull" {
				t.Fatalf("pull snippet: %s %q", cmd, args)
			}
			if r, err := ref.Parse(args[2], ref.Defaults{}); err != nil || r.Registry != c.host || r.Digest == "" {
				t.Errorf("pull snippet %q does not pin a digest on %s: %+v %v", args[2], c.host, r, err)
			}

			// Claude Code: `claude mcp add <name> -- <command> [args...]`.
			cmd, args = shellArgs(t, snippet(t, body, "snippet-claude-code"))
			if cmd != "claude" || len(args) < 5 || !slices.Equal(args[:2], []string{"mcp", "add"}) || args[2] != "weather" || args[3] != "--" {
				t.Fatalf("Claude Code snippet: %s %q", cmd, args)
			}
			runs("Claude Code", args[4], args[5:])

			for _, client := range []struct{ name, id string }{{"Claude Desktop", "snippet-claude-desktop"}, {"Cursor", "snippet-cursor"}} {
				var cfg struct {
					MCPServers map[string]stdioEntry `json:"mcpServers"`
				}
				decodeStrict(t, client.name, snippet(t, body, client.id), &cfg)
				s, ok := cfg.MCPServers["weather"]
				if len(cfg.MCPServers) != 1 || !ok {
					t.Fatalf("%s: servers %v, want weather", client.name, cfg.MCPServers)
				}
				if s.Env["MPAK_REGISTRY"] == "" {
					runs(client.name, s.Command, s.Args)
				}
			}

			// VS Code: "servers", each with its transport's "type".
			var vscode struct {
				Servers map[string]stdioEntry `json:"servers"`
			}
			decodeStrict(t, "VS Code", snippet(t, body, "snippet-vscode"), &vscode)
			s := vscode.Servers["weather"]
			if len(vscode.Servers) != 1 || s.Type != "stdio" {
				t.Fatalf("VS Code: servers %+v, want weather of type stdio", vscode.Servers)
			}
			runs("VS Code", s.Command, s.Args)

			// No snippet leans on a default registry.
			if i, j := strings.Index(body, `id="install"`), strings.Index(body, `id="readme"`); i < 0 || j < i || strings.Contains(body[i:j], "@acme/weather") {
				t.Errorf("the install section names @acme/weather, which resolves against the reader's default registry")
			}
		})
	}
}

// TestSnippetsOddNames: names with the punctuation repositories allow,
// a port and a prerelease still give snippets that parse to them.
func TestSnippetsOddNames(t *testing.T) {
	st, err := sqlite.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	v := version("acme/we.ather_2", "1.0.0-rc.1", "Forecasts", "Weather.", 0, false)
	if err := st.PutVersion(t.Context(), v); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(web.Options{Store: st, PublicHost: "registry.example.com:8443"}))
	t.Cleanup(srv.Close)
	_, _, body := get(t, srv.URL+"/@acme/we.ather_2")
	var cfg struct {
		Servers map[string]stdioEntry `json:"servers"`
	}
	decodeStrict(t, "VS Code", snippet(t, body, "snippet-vscode"), &cfg)
	if got := cfg.Servers["we.ather_2"].Args; !slices.Equal(got, []string{"run", "registry.example.com:8443/acme/we.ather_2@1.0.0-rc.1"}) {
		t.Errorf("VS Code args %q", got)
	}
	_, args := shellArgs(t, snippet(t, body, "snippet-claude-code"))
	if !slices.Equal(args, []string{"mcp", "add", "we.ather_2", "--", "mpak", "run", "registry.example.com:8443/acme/we.ather_2@1.0.0-rc.1"}) {
		t.Errorf("Claude Code args %q", args)
	}
}
