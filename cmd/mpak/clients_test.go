package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mpak-oci/mpak/internal/cli"
	"github.com/mpak-oci/mpak/internal/testenv"
	"github.com/mpak-oci/mpak/mcpclients"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// secretClockDir is the Go example with a required, sensitive key.
func secretClockDir(t *testing.T, version string) string {
	t.Helper()
	dir := clockDir(t, version)
	p := filepath.Join(dir, "manifest.json")
	b, err := os.ReadFile(p)
	must(t, err)
	b = bytes.Replace(b, []byte(`"user_config": {`), []byte(`"user_config": {
    "token": { "type": "string", "title": "Token", "description": "API token", "sensitive": true, "required": true },`), 1)
	must(t, os.WriteFile(p, b, 0o644))
	return dir
}

// exe runs the real mpak binary with e and returns stdout, stderr and the
// exit code: install writes its own path into the client's entry.
func (e env) exe(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	bin, _ := binaries(t)
	cmd := e.command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), errb.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), 0
}

// startEntry starts the command a client's entry names, as the client
// would (its own environment plus the entry's env), and speaks MCP to it.
func startEntry(t *testing.T, entry mcpclients.Entry) *mcp.ClientSession {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	cmd := exec.Command(entry.Command, entry.Args...)
	cmd.Env = os.Environ()
	for k, v := range entry.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr := &testenv.Buffer{}
	cmd.Stderr = stderr
	client := mcp.NewClient(&mcp.Implementation{Name: "client-under-test", Version: "1.0.0"}, nil)
	s, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd, TerminateDuration: 2 * time.Second}, nil)
	if err != nil {
		t.Fatalf("%s %v: MCP initialize failed: %v\nstderr: %s", entry.Command, entry.Args, err, stderr.String())
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestInstallIntoEveryClient: for each client, on a fixture file with
// comments, other servers and its own formatting, install writes an entry
// whose command starts and answers MCP; the secret is not in the file
// but in mpak's config; a second install changes nothing; installed
// lists it; uninstall removes exactly it.
func TestInstallIntoEveryClient(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	e := isolate(t, host)
	e.publish(t, secretClockDir(t, "1.0.0"), "clock")

	files := map[string]string{}
	originals := map[string][]byte{}
	for _, name := range mcpclients.Names() {
		c, _ := mcpclients.Lookup(name)
		ext := ".json"
		if c.Format == mcpclients.TOML {
			ext = ".toml"
		}
		orig, err := os.ReadFile(filepath.Join("..", "..", "mcpclients", "testdata", name+ext))
		must(t, err)
		files[name] = filepath.Join(t.TempDir(), name+ext)
		originals[name] = orig
		must(t, os.WriteFile(files[name], orig, 0o600))

		args := []string{"install", "@example/clock", "--client", name, "--config", files[name], "--set", "token=s3cret", "--set", "verbose=yes"}
		if name == "codex" {
			args = append(args, "--pin")
		}
		if _, errOut, code := e.exe(t, args...); code != 0 {
			t.Fatalf("install into %s: exit %d\n%s", name, code, errOut)
		}
		written, _ := os.ReadFile(files[name])
		if strings.Contains(string(written), "s3cret") {
			t.Errorf("%s: the sensitive value is in the client's file:\n%s", name, written)
		}
		f, err := mcpclients.Open(c, files[name])
		must(t, err)
		entry, ok, err := f.Entry("clock")
		if !ok || err != nil {
			t.Fatalf("%s: no entry clock (%v) in\n%s", name, err, written)
		}
		wantRef := host + "/example/clock"
		if name == "codex" {
			wantRef += "@sha256:"
		}
		if len(entry.Args) < 2 || entry.Args[0] != "run" || !strings.HasPrefix(entry.Args[1], wantRef) {
			t.Errorf("%s: entry runs %v, want mpak run %s...", name, entry.Args, wantRef)
		}
		s := startEntry(t, entry)
		if got := callText(t, s, "args", nil); !strings.Contains(got, "CLOCK_VERBOSE=true") {
			t.Errorf("%s: the entry's --config did not reach the server: %q", name, got)
		}

		// The same install again writes nothing.
		if _, errOut, code := e.exe(t, args...); code != 0 || !strings.Contains(errOut, "nothing to change") {
			t.Errorf("%s: second install: exit %d\n%s", name, code, errOut)
		}
		if again, _ := os.ReadFile(files[name]); !bytes.Equal(again, written) {
			t.Errorf("%s: second install changed the file", name)
		}
	}
	if cfg, _ := os.ReadFile(e["MPAK_CONFIG"]); !strings.Contains(string(cfg), `"token": "s3cret"`) {
		t.Errorf("the sensitive value is not in mpak's config:\n%s", cfg)
	}
	if fi, err := os.Stat(e["MPAK_CONFIG"]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mpak's config: %v %v, want owner-only", err, fi)
	}

	// A newer release: the pinned entry has an update, the others follow
	// it already.
	e.publish(t, secretClockDir(t, "1.1.0"), "clock")
	list := decode[[]cli.Installed](t, e.ok(t, "installed", "--json"))
	if len(list) != len(mcpclients.Names()) {
		t.Fatalf("installed lists %d entries, want %d: %+v", len(list), len(mcpclients.Names()), list)
	}
	for _, in := range list {
		wantCurrent, wantUpdate := "1.1.0", false
		if in.Client == "codex" {
			wantCurrent, wantUpdate = "1.0.0", true
		}
		if in.Current != wantCurrent || in.Latest != "1.1.0" || in.UpdateAvailable != wantUpdate || in.Version != "1.0.0" || in.Error != "" || in.State != "ok" {
			t.Errorf("installed %s: %+v", in.Client, in)
		}
	}
	if only := decode[[]cli.Installed](t, e.ok(t, "installed", "--client", "vscode", "--json")); len(only) != 1 || only[0].Client != "vscode" {
		t.Errorf("installed --client vscode: %+v", only)
	}

	// An entry removed or changed by hand shows as such.
	must(t, os.WriteFile(files["windsurf"], originals["windsurf"], 0o600))
	b, _ := os.ReadFile(files["cursor"])
	must(t, os.WriteFile(files["cursor"], bytes.Replace(b, []byte(`"run",`), []byte(`"run", "--offline",`), 1), 0o600))
	for _, in := range decode[[]cli.Installed](t, e.ok(t, "installed", "--json", "--offline")) {
		want := map[string]string{"windsurf": "missing", "cursor": "edited"}[in.Client]
		if want == "" {
			want = "ok"
		}
		if in.State != want {
			t.Errorf("%s: state %q, want %q", in.Client, in.State, want)
		}
	}

	// Uninstall gives the original file back.
	for _, name := range []string{"claude-desktop", "codex"} {
		e.ok(t, "uninstall", "@example/clock", "--client", name, "--config", files[name])
		if b, _ := os.ReadFile(files[name]); !bytes.Equal(b, originals[name]) {
			t.Errorf("%s: after uninstall:\n%s\nwant\n%s", name, b, originals[name])
		}
	}
	if left := decode[[]cli.Installed](t, e.ok(t, "installed", "--json", "--offline")); len(left) != len(mcpclients.Names())-2 {
		t.Errorf("after two uninstalls, installed lists %d", len(left))
	}
}

// TestInstallRefuses: nothing is written for a bundle the policy refuses,
// a file that is not valid JSON, a name mpak did not write (until
// --force), or a required value not given without a terminal.
func TestInstallRefuses(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	e := isolate(t, host)
	e.publish(t, secretClockDir(t, "1.0.0"), "clock")
	dir := t.TempDir()
	file := filepath.Join(dir, "mcp.json")
	orig, err := os.ReadFile(filepath.Join("..", "..", "mcpclients", "testdata", "cursor.json"))
	must(t, err)
	must(t, os.WriteFile(file, orig, 0o600))
	unchanged := func(what string) {
		t.Helper()
		if b, _ := os.ReadFile(file); !bytes.Equal(b, orig) {
			t.Errorf("%s: the file changed:\n%s", what, b)
		}
		if _, err := os.Stat(mcpclients.BackupPath(file)); !os.IsNotExist(err) {
			t.Errorf("%s: a backup was written", what)
		}
		if cfg, _ := os.ReadFile(e["MPAK_CONFIG"]); strings.Contains(string(cfg), "s3cret") {
			t.Errorf("%s: the secret was saved", what)
		}
	}
	install := []string{"install", "@example/clock", "--client", "cursor", "--config", file, "--set", "token=s3cret"}

	_, errOut, code := e.mpak(t, append(install, "--min-level", "L2")...)
	if code != cli.ExitUnverified {
		t.Errorf("policy: exit %d, want %d\n%s", code, cli.ExitUnverified, errOut)
	}
	unchanged("policy")

	_, errOut, code = e.mpak(t, "install", "@example/clock", "--client", "cursor", "--config", file)
	if code == 0 || !strings.Contains(errOut, "--set token=VALUE") {
		t.Errorf("missing required value: exit %d\n%s", code, errOut)
	}
	unchanged("missing value")

	_, errOut, code = e.mpak(t, append(install, "--name", "sqlite")...)
	if code == 0 || !strings.Contains(errOut, "mpak did not write") || !strings.Contains(errOut, "--force") {
		t.Errorf("clash: exit %d\n%s", code, errOut)
	}
	unchanged("clash")

	bad := filepath.Join(dir, "bad.json")
	must(t, os.WriteFile(bad, []byte(`{"mcpServers": {`), 0o600))
	_, errOut, code = e.mpak(t, "install", "@example/clock", "--client", "cursor", "--config", bad, "--set", "token=s3cret")
	if b, _ := os.ReadFile(bad); code == 0 || !strings.Contains(errOut, "not valid JSON") || string(b) != `{"mcpServers": {` {
		t.Errorf("invalid JSON: exit %d\n%s", code, errOut)
	}
	unchanged("invalid JSON")

	if _, errOut, code := e.exe(t, append(install, "--name", "sqlite", "--force")...); code != 0 {
		t.Fatalf("--force: exit %d\n%s", code, errOut)
	}
	f, err := mcpclients.Open(mustClient(t, "cursor"), file)
	must(t, err)
	if en, _, _ := f.Entry("sqlite"); len(en.Args) < 1 || en.Args[0] != "run" {
		t.Errorf("--force did not replace the entry: %+v", en)
	}
}

func mustClient(t *testing.T, name string) *mcpclients.Client {
	t.Helper()
	c, err := mcpclients.Lookup(name)
	must(t, err)
	return c
}
