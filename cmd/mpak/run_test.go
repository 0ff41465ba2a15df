package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/mpak-oci/mpak/internal/cli"
	"github.com/mpak-oci/mpak/internal/testenv"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mpak-oci/mpak/registry/embedded"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds the real mpak binary, its companion mpak-trust and the
// Go example server once.
func binaries(t *testing.T) (mpakBin, clockBin string) {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "mpak-test-bin-")
		if buildErr != nil {
			return
		}
		for pkg, out := range map[string]string{".": "mpak", "../mpak-trust": "mpak-trust", "../../hack/examples/clock-go": "clock"} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, out), pkg)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if b, err := cmd.CombinedOutput(); err != nil {
				buildErr = err
				binDir = string(b)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatalf("building binaries: %v\n%s", buildErr, binDir)
	}
	return filepath.Join(binDir, "mpak"), filepath.Join(binDir, "clock")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" && buildErr == nil {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// publish packs dir and pushes it to @example/<name>.
func (e env) publish(t *testing.T, dir, name string, platforms ...string) {
	t.Helper()
	args := []string{"bundle", "push", "@example/" + name}
	for i, p := range append([]string{""}, platforms...) {
		if i == 0 && len(platforms) > 0 {
			continue
		}
		f := filepath.Join(t.TempDir(), name+".mcpb")
		e.ok(t, "bundle", "pack", dir, "-o", f)
		if p != "" {
			f += ":" + p
		}
		args = append(args, f)
	}
	e.ok(t, args...)
}

// session starts `mpak run args...` as a real process with e and speaks
// MCP to it.
func (e env) session(t *testing.T, args ...string) (*mcp.ClientSession, *testenv.Buffer) {
	t.Helper()
	bin, _ := binaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	cmd := e.command(bin, append([]string{"run"}, args...)...)
	stderr := &testenv.Buffer{}
	cmd.Stderr = stderr
	client := mcp.NewClient(&mcp.Implementation{Name: "mpak-test", Version: "1.0.0"}, nil)
	s, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd, TerminateDuration: 2 * time.Second}, nil)
	if err != nil {
		t.Fatalf("mpak run %v: MCP initialize failed: %v\nstderr: %s", args, err, stderr.String())
	}
	t.Cleanup(func() { s.Close() })
	return s, stderr
}

func callText(t *testing.T, s *mcp.ClientSession, tool string, args map[string]any) string {
	t.Helper()
	res, err := s.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("tools/call %s: %v", tool, err)
	}
	if res.IsError || len(res.Content) == 0 {
		t.Fatalf("tools/call %s returned an error result: %+v", tool, res)
	}
	return res.Content[0].(*mcp.TextContent).Text
}

func toolNames(t *testing.T, s *mcp.ClientSession) string {
	t.Helper()
	res, err := s.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	return strings.Join(names, ",")
}

func needRuntime(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("SKIPPED: %s is not installed on this machine, so its bundle cannot run here", name)
	}
}

func TestRunNodeBundle(t *testing.T) {
	t.Parallel()
	needRuntime(t, "node")
	host := registrytest.Distribution(t)
	e := isolate(t, host)
	e.publish(t, exampleDir(t, "1.0.0"), "hello")

	s, stderr := e.session(t, "@example/hello")
	if got := toolNames(t, s); got != "hello,add" {
		t.Errorf("tools/list = %s", got)
	}
	if got := callText(t, s, "hello", map[string]any{"name": "Ada"}); got != "Hello, Ada!" {
		t.Errorf("hello = %q", got)
	}
	if got := callText(t, s, "add", map[string]any{"a": 2, "b": 40}); got != "42" {
		t.Errorf("add = %q", got)
	}
	if !strings.Contains(stderr.String(), "sha256:") || !strings.Contains(stderr.String(), "from registry") {
		t.Errorf("stderr does not report the resolved digest: %q", stderr.String())
	}

	// --config overrides the default; the second run comes from the cache.
	s2, stderr2 := e.session(t, "@example/hello@1.0.0", "--config", "greeting=Bonjour")
	if got := callText(t, s2, "hello", map[string]any{"name": "Ada"}); got != "Bonjour, Ada!" {
		t.Errorf("hello with --config = %q", got)
	}
	if !strings.Contains(stderr2.String(), "from cache") {
		t.Errorf("exact cached version contacted the registry: %q", stderr2.String())
	}
}

func TestRunPythonBundleNeedsConfig(t *testing.T) {
	t.Parallel()
	needRuntime(t, "python3")
	host := registrytest.Distribution(t)
	e := isolate(t, host)
	e.publish(t, filepath.Join("..", "..", "hack", "examples", "hello-python"), "hello-python")

	bin, _ := binaries(t)
	out, err := e.command(bin, "run", "@example/hello-python").CombinedOutput()
	if err == nil || !strings.Contains(string(out), `"name"`) || !strings.Contains(string(out), "mpak config set "+host+"/example/hello-python name=") {
		t.Fatalf("missing required config: err=%v\n%s", err, out)
	}
	e.ok(t, "config", "set", "@example/hello-python", "name=Grace")
	s, _ := e.session(t, "@example/hello-python")
	if got := callText(t, s, "greet", nil); got != "Hello, Grace!" {
		t.Errorf("greet = %q", got)
	}
}

// clockDir is the Go example with a binary built for this machine.
func clockDir(t *testing.T, version string) string {
	t.Helper()
	_, clock := binaries(t)
	dir := t.TempDir()
	manifest, err := os.ReadFile(filepath.Join("..", "..", "hack", "examples", "clock-go", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	manifest = bytes.Replace(manifest, []byte(`"version": "1.0.0"`), []byte(`"version": "`+version+`"`), 1)
	bin, err := os.ReadFile(clock)
	if err != nil {
		t.Fatal(err)
	}
	must(t, os.MkdirAll(filepath.Join(dir, "server"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "manifest.json"), manifest, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "server", "clock"), bin, 0o755))
	return dir
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestRunBinaryBundleSelectsPlatform(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	e := isolate(t, host)
	here := runtime.GOOS + "/" + runtime.GOARCH
	other := "windows/arm64"
	if here == other {
		other = "linux/amd64"
	}
	// A decoy build for another platform that would fail if it ran.
	decoy := clockDir(t, "1.0.0")
	must(t, os.WriteFile(filepath.Join(decoy, "server", "clock"), []byte("#!/bin/sh\nexit 3\n"), 0o755))
	good := filepath.Join(t.TempDir(), "good.mcpb")
	bad := filepath.Join(t.TempDir(), "bad.mcpb")
	e.ok(t, "bundle", "pack", clockDir(t, "1.0.0"), "-o", good)
	e.ok(t, "bundle", "pack", decoy, "-o", bad)
	e.ok(t, "bundle", "push", "@example/clock", good+":"+here, bad+":"+other)

	dirA, dirB := t.TempDir(), t.TempDir()
	s, _ := e.session(t, "@example/clock", "--config", "dirs="+dirA, "--config", "dirs="+dirB, "--config", "verbose=yes")
	if got := toolNames(t, s); got != "args,now" { // the Go SDK lists tools by name
		t.Errorf("tools/list = %s", got)
	}
	got := callText(t, s, "args", nil)
	want := "--zone=UTC|" + dirA + "|" + dirB + "\nCLOCK_VERBOSE=true"
	if got != want {
		t.Errorf("substituted command line and env:\n got %q\nwant %q", got, want)
	}
	if now := callText(t, s, "now", map[string]any{"zone": "UTC"}); !strings.HasSuffix(now, "Z") {
		t.Errorf("now = %q", now)
	}
	// Without dirs, the default [] spreads into no argument at all.
	s2, _ := e.session(t, "@example/clock")
	if got := callText(t, s2, "args", nil); got != "--zone=UTC\nCLOCK_VERBOSE=false" {
		t.Errorf("defaults: got %q", got)
	}

	// The other platform's build is chosen when asked for, and its exit
	// code is mpak's.
	bin, _ := binaries(t)
	err := e.command(bin, "run", "@example/clock", "--platform", other).Run()
	if ee, isExit := err.(*exec.ExitError); !isExit || ee.ExitCode() != 3 {
		t.Fatalf("decoy build: err = %v, want exit code 3", err)
	}
}

// closableRegistry is a distribution registry the test can stop, with an
// optional hook in front of it.
type closableRegistry struct {
	srv  *httptest.Server
	reg  *embedded.Registry
	mu   sync.Mutex
	hook func(w http.ResponseWriter, r *http.Request) bool
}

func newClosableRegistry(t *testing.T) *closableRegistry {
	reg, err := embedded.New(context.Background(), embedded.Options{})
	must(t, err)
	c := &closableRegistry{reg: reg}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		hook := c.hook
		c.mu.Unlock()
		if hook != nil && hook(w, r) {
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { c.srv.Close(); reg.Close() })
	return c
}

// real serves r from the registry itself, bypassing the hook.
func (c *closableRegistry) real(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	c.reg.ServeHTTP(rec, r)
	return rec
}

func (c *closableRegistry) host() string { return strings.TrimPrefix(c.srv.URL, "http://") }

func (c *closableRegistry) setHook(h func(w http.ResponseWriter, r *http.Request) bool) {
	c.mu.Lock()
	c.hook = h
	c.mu.Unlock()
}

func TestRunOfflineFromCache(t *testing.T) {
	t.Parallel()
	reg := newClosableRegistry(t)
	e := isolate(t, reg.host())
	e.publish(t, clockDir(t, "2.0.0"), "clock")
	s, _ := e.session(t, "@example/clock@2.0.0")
	callText(t, s, "now", nil)
	s.Close()

	// With the registry unreachable, exact versions and digests still run.
	reg.setHook(func(w http.ResponseWriter, r *http.Request) bool {
		t.Errorf("registry contacted: %s %s", r.Method, r.URL)
		http.Error(w, "down", http.StatusServiceUnavailable)
		return true
	})
	s, stderr := e.session(t, "@example/clock@2.0.0")
	callText(t, s, "now", nil)
	if !strings.Contains(stderr.String(), "from cache") {
		t.Errorf("stderr: %q", stderr.String())
	}
	s, _ = e.session(t, "@example/clock@^2", "--offline")
	callText(t, s, "now", nil)

	_, errOut, code := e.mpak(t, "run", "@example/clock@3.0.0", "--offline")
	if code == 0 || !strings.Contains(errOut, "--offline") || !strings.Contains(errOut, "2.0.0") {
		t.Fatalf("offline miss: exit %d, %q", code, errOut)
	}
}

func TestRunRefusesTamperedBlob(t *testing.T) {
	t.Parallel()
	reg := newClosableRegistry(t)
	e := isolate(t, reg.host())
	marker := filepath.Join(t.TempDir(), "executed")
	dir := clockDir(t, "1.0.0")
	must(t, os.WriteFile(filepath.Join(dir, "server", "clock"), []byte("#!/bin/sh\ntouch "+marker+"\n"), 0o755))
	padding := make([]byte, 256<<10)
	for i := range padding {
		padding[i] = byte(rand.Uint32())
	}
	must(t, os.WriteFile(filepath.Join(dir, "server", "padding.bin"), padding, 0o644))
	e.publish(t, dir, "clock")

	// Corrupt the bundle layer (the only big blob) on its way out, as a
	// broken mirror would; manifests and config stay intact.
	reg.setHook(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/") {
			return false
		}
		rec := reg.real(r)
		b := rec.Body.Bytes()
		if len(b) > 64<<10 {
			b[len(b)/2] ^= 0xff
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(b)
		return true
	})
	_, errOut, code := e.mpak(t, "run", "@example/clock")
	if code == 0 {
		t.Fatal("a tampered bundle ran")
	}
	t.Logf("refused with: %s", errOut)
	if !strings.Contains(errOut, "digest") && !strings.Contains(errOut, "verif") {
		t.Errorf("error does not mention verification: %q", errOut)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the tampered server was executed")
	}
	if out := e.ok(t, "cache", "ls", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("a tampered bundle was cached: %s", out)
	}
}

func TestConcurrentColdRuns(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	e := isolate(t, host)
	e.publish(t, clockDir(t, "1.0.0"), "clock")
	var wg sync.WaitGroup
	results := make(chan string, 2)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bin, _ := binaries(t)
			cmd := e.command(bin, "run", "@example/clock")
			client := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "1"}, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			s, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
			if err != nil {
				results <- "connect: " + err.Error()
				return
			}
			defer s.Close()
			res, err := s.CallTool(ctx, &mcp.CallToolParams{Name: "now"})
			if err != nil {
				results <- "call: " + err.Error()
				return
			}
			results <- "ok:" + res.Content[0].(*mcp.TextContent).Text
		}()
	}
	wg.Wait()
	close(results)
	for r := range results {
		if !strings.HasPrefix(r, "ok:") {
			t.Errorf("concurrent run failed: %s", r)
		}
	}
	if out := e.ok(t, "cache", "ls", "--json"); strings.Count(out, `"digest"`) != 1 {
		t.Errorf("two runs left %d cache entries: %s", strings.Count(out, `"digest"`), out)
	}
}

func TestKilledPullLeavesNothingTrusted(t *testing.T) {
	t.Parallel()
	reg := newClosableRegistry(t)
	e := isolate(t, reg.host())
	dir := clockDir(t, "1.0.0")
	e.publish(t, dir, "clock")

	// Stall the bundle download halfway until the client is killed.
	halfway := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	reg.setHook(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/") {
			return false
		}
		rec := reg.real(r)
		body := rec.Body.Bytes()
		if len(body) < 1<<20 {
			return false
		}
		w.Header().Set("Content-Length", rec.Header().Get("Content-Length"))
		w.WriteHeader(http.StatusOK)
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		once.Do(func() { close(halfway) })
		<-release
		return true
	})
	bin, _ := binaries(t)
	cmd := e.command(bin, "run", "@example/clock")
	must(t, cmd.Start())
	select {
	case <-halfway:
	case <-time.After(30 * time.Second):
		t.Fatal("download never started")
	}
	must(t, cmd.Process.Signal(syscall.SIGKILL))
	cmd.Wait()
	close(release)
	reg.setHook(nil)

	if out := e.ok(t, "cache", "ls", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("a killed download left a cache entry: %s", out)
	}
	s, _ := e.session(t, "@example/clock")
	callText(t, s, "now", nil)
}

func TestLockPinsAndUpdateMovesIt(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	e := isolate(t, host)
	e.publish(t, clockDir(t, "1.0.0"), "clock")
	lockFile := filepath.Join(t.TempDir(), "mpak.lock")

	s, _ := e.session(t, "--lock", lockFile, "@example/clock@^1")
	callText(t, s, "now", nil)
	s.Close()
	e.publish(t, clockDir(t, "1.1.0"), "clock")

	_, stderr := e.session(t, "--lock", lockFile, "@example/clock@^1")
	if !strings.Contains(stderr.String(), "sha256:") || strings.Contains(stderr.String(), ":1.1.0") {
		t.Errorf("locked run moved: %q", stderr.String())
	}
	out := e.ok(t, "outdated", "--lock", lockFile)
	if !strings.Contains(out, "@example/clock@^1") || !strings.Contains(out, "1.1.0") {
		t.Errorf("outdated:\n%s", out)
	}
	e.ok(t, "update", "--lock", lockFile)
	raw, err := os.ReadFile(lockFile)
	must(t, err)
	if !strings.Contains(string(raw), `"version": "1.1.0"`) {
		t.Errorf("lock after update:\n%s", raw)
	}
	out = e.ok(t, "outdated", "--lock", lockFile, "--json")
	if strings.TrimSpace(out) != "[]" {
		t.Errorf("still outdated after update: %s", out)
	}
}

func TestCacheCommands(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	e := isolate(t, host)
	e.publish(t, clockDir(t, "1.0.0"), "clock")
	_, _, _ = e.mpak(t, "run", "@example/clock", "--platform", runtime.GOOS+"/"+runtime.GOARCH, "--", "--version-does-not-exist")
	entries := decode[[]cli.CacheEntryOutput](t, e.ok(t, "cache", "ls", "--json"))
	if len(entries) != 1 || entries[0].Repository != host+"/example/clock" || entries[0].Version != "1.0.0" {
		t.Fatalf("cache ls = %+v", entries)
	}
	e.ok(t, "cache", "prune", "--all", "--dry-run")
	if n := len(decode[[]cli.CacheEntryOutput](t, e.ok(t, "cache", "ls", "--json"))); n != 1 {
		t.Fatalf("dry run removed entries: %d left", n)
	}
	e.ok(t, "cache", "rm", digest.Digest(entries[0].Digest).Encoded()[:12])
	if n := len(decode[[]cli.CacheEntryOutput](t, e.ok(t, "cache", "ls", "--json"))); n != 0 {
		t.Fatalf("rm left %d entries", n)
	}
}

func TestConfigCommandsMaskSecrets(t *testing.T) {
	t.Parallel()
	e := isolate(t, "localhost:5000")
	e.ok(t, "config", "set", "@acme/weather", "api_key=sk-1234567890", "units=metric", "dirs=/a", "dirs=/b")
	got := decode[map[string]string](t, e.ok(t, "config", "get", "@acme/weather", "--json"))
	if got["api_key"] == "sk-1234567890" || !strings.HasPrefix(got["api_key"], "sk-1") {
		t.Errorf("api_key shown as %q", got["api_key"])
	}
	if got["units"] != "metric" || got["dirs"] != `["/a","/b"]` {
		t.Errorf("values %v", got)
	}
	fi, err := os.Stat(e["MPAK_CONFIG"])
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file mode %v %v", fi.Mode(), err)
	}
	e.ok(t, "config", "clear", "@acme/weather", "units")
	if out := e.ok(t, "config", "list"); !strings.Contains(out, "api_key, dirs") || strings.Contains(out, "units") {
		t.Errorf("list after clear: %q", out)
	}
}

func TestRunStdoutIsTheServers(t *testing.T) {
	t.Parallel()
	e := isolate(t, "localhost:1")
	f := filepath.Join(t.TempDir(), "clock.mcpb")
	e.ok(t, "bundle", "pack", clockDir(t, "1.0.0"), "-o", f)
	bin, _ := binaries(t)
	cmd := e.command(bin, "run", "--local", f)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Stdin = strings.NewReader("") // EOF: the server exits at once
	cmd.Run()
	if stdout.Len() != 0 {
		t.Errorf("stdout carried %q; only the server may write there", stdout.String())
	}
	if !strings.Contains(stderr.String(), "running clock") {
		t.Errorf("stderr: %q", stderr.String())
	}
}

func TestSignalsReachTheServer(t *testing.T) {
	t.Parallel()
	needRuntime(t, "node")
	e := isolate(t, "localhost:1")
	f := filepath.Join(t.TempDir(), "hello.mcpb")
	e.ok(t, "bundle", "pack", exampleDir(t, "1.0.0"), "-o", f)
	bin, _ := binaries(t)
	cmd := e.command(bin, "run", "--local", f)
	stdin, err := cmd.StdinPipe()
	must(t, err)
	defer stdin.Close()
	stdout := &testenv.Buffer{}
	cmd.Stdout = stdout
	must(t, cmd.Start())
	// Wait until the server answers, then ask it to stop.
	stdin.Write([]byte(`{"jsonrpc":"2.0","id":1,"method":"ping"}` + "\n"))
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stdout.String(), `"id":1`) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	must(t, cmd.Process.Signal(syscall.SIGTERM))
	err = cmd.Wait()
	ee, isExit := err.(*exec.ExitError)
	if !isExit {
		t.Fatalf("wait: %v", err)
	}
	if ws := ee.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("server did not end by the SIGTERM sent to mpak: %v", ee)
	}
}
