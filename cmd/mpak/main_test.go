package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/internal/cli"
	"github.com/mpak-oci/mpak/internal/cli/trustcmd"
	"github.com/mpak-oci/mpak/registry/embedded"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// env is one test's environment: the variables it sets over the process's
// own, handed to the CLI as cli.Options.Environ and to the binaries a test
// starts as their Env. Tests that carry their own env instead of calling
// t.Setenv may run in parallel.
type env map[string]string

// isolate keeps the user's docker and mpak configuration and cache out of
// a test, with @scope/name references resolving through registry.
func isolate(t *testing.T, registry string) env {
	t.Helper()
	return env{
		"DOCKER_CONFIG":     t.TempDir(),
		"MPAK_CONFIG":       filepath.Join(t.TempDir(), "config.json"),
		"MPAK_REGISTRY":     registry,
		"MPAK_CACHE":        filepath.Join(t.TempDir(), "cache"),
		"SOURCE_DATE_EPOCH": "",
	}
}

// with is a copy of e with more variables, as key, value pairs.
func (e env) with(kv ...string) env {
	c := make(env, len(e)+len(kv)/2)
	for k, v := range e {
		c[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		c[kv[i]] = kv[i+1]
	}
	return c
}

// environ is the process's environment with e's variables over it.
func (e env) environ() []string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := os.Environ()
	for _, k := range keys {
		out = append(out, k+"="+e[k]) // the last one wins, in the CLI as in os/exec
	}
	return out
}

// command is exec.Command for a real binary, run with e.
func (e env) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = e.environ()
	return cmd
}

// run executes the whole command line in-process with e, the trust
// commands included, with servers spawned as children.
func (e env) run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return cli.Main(ctx, args, cli.Streams{Stdin: stdin, Stdout: stdout, Stderr: stderr}, cli.Options{Environ: e.environ(), Trust: trustcmd.Commands})
}

// mpak runs the CLI in-process and returns stdout, stderr and the exit code.
func (e env) mpak(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := e.run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// ok runs the CLI and fails the test on a non-zero exit.
func (e env) ok(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := e.mpak(t, args...)
	if code != 0 {
		t.Fatalf("mpak %s: exit %d\nstderr: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return v
}

// exampleDir copies the hello example with the given version.
func exampleDir(t *testing.T, version string) string {
	t.Helper()
	src := filepath.Join("..", "..", "hack", "examples", "hello")
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if rel == "manifest.json" {
			b = bytes.Replace(b, []byte(`"version": "1.0.0"`), []byte(`"version": "`+version+`"`), 1)
		}
		info, _ := d.Info()
		return os.WriteFile(filepath.Join(dst, rel), b, info.Mode())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestWalkthrough(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	e := isolate(t, host)
	work := t.TempDir()

	// pack: reproducible, reports name, version, size and sha256.
	file := filepath.Join(work, "hello.mcpb")
	p1 := decode[cli.PackOutput](t, e.ok(t, "bundle", "pack", exampleDir(t, "1.0.0"), "-o", file, "--json"))
	p2 := decode[cli.PackOutput](t, e.ok(t, "bundle", "pack", exampleDir(t, "1.0.0"), "-o", filepath.Join(work, "again.mcpb"), "--json"))
	if p1.SHA256 != p2.SHA256 || p1.Name != "hello" || p1.Version != "1.0.0" || p1.Size == 0 {
		t.Fatalf("pack outputs %+v and %+v", p1, p2)
	}
	human := e.ok(t, "bundle", "pack", exampleDir(t, "1.0.0"), "-o", filepath.Join(work, "h.mcpb"))
	if !strings.Contains(human, p1.SHA256) || !strings.Contains(human, "hello") {
		t.Errorf("human pack output lacks name or sha256:\n%s", human)
	}

	// push: @scope/name maps through MPAK_REGISTRY; a re-push is a no-op.
	push := decode[cli.PushOutput](t, e.ok(t, "bundle", "push", "@example/hello", file, "--json"))
	if push.Tag != "1.0.0" || push.Unchanged || push.Reference != host+"/example/hello:1.0.0" {
		t.Fatalf("push output %+v", push)
	}
	if again := decode[cli.PushOutput](t, e.ok(t, "bundle", "push", "@example/hello", file, "--json")); !again.Unchanged || again.Digest != push.Digest {
		t.Fatalf("re-push %+v, want unchanged %s", again, push.Digest)
	}

	// A different bundle under the same version is refused with exit code 2.
	changed := exampleDir(t, "1.0.0")
	if err := os.WriteFile(filepath.Join(changed, "server", "extra.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.ok(t, "bundle", "pack", changed, "-o", filepath.Join(work, "changed.mcpb"))
	_, stderr, code := e.mpak(t, "bundle", "push", "@example/hello", filepath.Join(work, "changed.mcpb"))
	if code != cli.ExitConflict || !strings.Contains(stderr, "immutable") {
		t.Fatalf("overwrite attempt: exit %d, stderr %q", code, stderr)
	}

	// More versions, then tags and resolution.
	for _, v := range []string{"1.2.0", "2.0.0-beta.1"} {
		f := filepath.Join(work, v+".mcpb")
		e.ok(t, "bundle", "pack", exampleDir(t, v), "-o", f)
		e.ok(t, "bundle", "push", "@example/hello", f)
	}
	tags := decode[struct{ Versions []string }](t, e.ok(t, "bundle", "tags", "@example/hello", "--json"))
	if strings.Join(tags.Versions, ",") != "2.0.0-beta.1,1.2.0,1.0.0" {
		t.Errorf("tags = %v", tags.Versions)
	}

	dl := t.TempDir()
	pull := decode[cli.PullOutput](t, e.ok(t, "bundle", "pull", "@example/hello@^1.0", "-o", dl, "--json"))
	if pull.Version != "1.2.0" || filepath.Dir(pull.Path) != dl {
		t.Fatalf("pull output %+v", pull)
	}
	if _, err := os.Stat(pull.Path); err != nil {
		t.Fatal(err)
	}
	pinned := decode[cli.PullOutput](t, e.ok(t, "bundle", "pull", "@example/hello@"+push.Digest, "-o", filepath.Join(dl, "pinned.mcpb"), "--json"))
	if pinned.Digest != push.Digest || pinned.Path != filepath.Join(dl, "pinned.mcpb") {
		t.Fatalf("pull by digest %+v", pinned)
	}

	// inspect works on the file and on the reference, and they agree.
	fromFile := decode[cli.InspectOutput](t, e.ok(t, "bundle", "inspect", file, "--json"))
	fromRef := decode[cli.InspectOutput](t, e.ok(t, "bundle", "inspect", "@example/hello@1.0.0", "--json"))
	if fromFile.SHA256 != p1.SHA256 || fromRef.SHA256 != p1.SHA256 {
		t.Errorf("inspect sha256 file=%s ref=%s, want %s", fromFile.SHA256, fromRef.SHA256, p1.SHA256)
	}
	if len(fromRef.Tools) != 2 || fromRef.Tools[0].Name != "hello" || len(fromRef.Builds) != 1 || fromRef.Builds[0].Platform != "any" {
		t.Errorf("inspect ref = %+v", fromRef)
	}
	if len(fromFile.Files) < 2 || len(fromFile.UserConfig) != 1 || fromFile.UserConfig[0].Key != "greeting" {
		t.Errorf("inspect file = %+v", fromFile)
	}
}

func TestPushRefusesMismatchedVersion(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	e := isolate(t, host)
	file := filepath.Join(t.TempDir(), "h.mcpb")
	e.ok(t, "bundle", "pack", exampleDir(t, "1.0.0"), "-o", file)
	_, stderr, code := e.mpak(t, "bundle", "push", "@example/hello@1.0.1", file)
	if code == 0 || !strings.Contains(stderr, `manifest.json says "1.0.0"`) {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	_, stderr, code = e.mpak(t, "bundle", "push", host+"/x/y", file+":plan9/amd64", filepath.Join(t.TempDir(), "missing.mcpb"))
	if code == 0 || !strings.Contains(stderr, "missing.mcpb") {
		t.Fatalf("missing file: exit %d, stderr %q", code, stderr)
	}
	if _, stderr, code := e.mpak(t, "bundle", "tags", host+"/x/y"); code == 0 || !strings.Contains(stderr, "nothing has been pushed") {
		t.Fatalf("a refused push left a repository: exit %d, %q", code, stderr)
	}
}

// basicAuth puts a real registry behind HTTP basic auth, as Harbor and
// GHCR do for pushes.
func basicAuth(t *testing.T, user, pass string) string {
	reg, err := embedded.New(context.Background(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { srv.Close(); reg.Close() })
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestLoginLogout(t *testing.T) {
	t.Parallel()
	host := basicAuth(t, "alice", "s3cret")
	e := isolate(t, host)
	file := filepath.Join(t.TempDir(), "h.mcpb")
	e.ok(t, "bundle", "pack", exampleDir(t, "1.0.0"), "-o", file)

	if _, stderr, code := e.mpak(t, "bundle", "push", "@example/hello", file); code == 0 || !strings.Contains(stderr, "mpak login") {
		t.Fatalf("anonymous push: exit %d, %q", code, stderr)
	}
	if _, _, code := e.mpak(t, "login", host, "-u", "alice", "-p", "wrong"); code == 0 {
		t.Fatal("login with a wrong password succeeded")
	}
	e.ok(t, "login", host, "-u", "alice", "-p", "s3cret")
	cfg, err := os.ReadFile(filepath.Join(e["DOCKER_CONFIG"], "config.json"))
	if err != nil || !strings.Contains(string(cfg), host) {
		t.Fatalf("docker config after login: %s (%v)", cfg, err)
	}
	e.ok(t, "bundle", "push", "@example/hello", file)
	e.ok(t, "logout", host)
	if _, _, code := e.mpak(t, "bundle", "tags", "@example/hello"); code == 0 {
		t.Fatal("tags succeeded after logout")
	}
}

func TestCompletion(t *testing.T) {
	t.Parallel()
	e := isolate(t, "localhost:1")
	for _, shell := range []string{"bash", "zsh", "fish"} {
		out := e.ok(t, "completion", shell)
		if !strings.Contains(out, "mpak") || len(out) < 500 {
			t.Errorf("%s completion looks empty: %d bytes", shell, len(out))
		}
	}
}

func TestBadReferences(t *testing.T) {
	t.Parallel()
	e := isolate(t, "localhost:1")
	for _, args := range [][]string{
		{"bundle", "pull", "Acme/Weather"},
		{"bundle", "pull", "@acme/"},
		{"bundle", "pull", "@acme/weather", "--platform", "linux/amd64/v8/x"},
	} {
		_, stderr, code := e.mpak(t, args...)
		if code == 0 || strings.TrimSpace(stderr) == "" {
			t.Errorf("mpak %v: exit %d, stderr %q", args, code, stderr)
		}
	}
}
