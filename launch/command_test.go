package launch

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/mcpb"
)

// onPath is a LookPath for a host that has exactly the named programs, in
// /host/bin.
func onPath(names ...string) func(string) (string, error) {
	return func(name string) (string, error) {
		if slices.Contains(names, name) {
			return "/host/bin/" + name, nil
		}
		return "", exec.ErrNotFound
	}
}

// bundleDir makes an extracted bundle holding the given files.
func bundleDir(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func request(m *mcpb.Manifest, dir string) Request {
	return Request{
		Manifest:   m,
		Dir:        dir,
		GOOS:       "linux",
		Environ:    []string{"PATH=/host/bin", "HOME=/home/u"},
		SystemDirs: &SystemDirs{Home: "/home/u"},
		LookPath:   onPath("node", "python3", "python", "uv"),
	}
}

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := m[k]; dup {
			m[k] = "DUPLICATE"
			continue
		}
		m[k] = v
	}
	return m
}

func TestBuildPlatformOverridesReplace(t *testing.T) {
	dir := bundleDir(t, "server/index.js")
	m := &mcpb.Manifest{Server: mcpb.Server{Type: mcpb.ServerNode, EntryPoint: "server/index.js", MCPConfig: &mcpb.MCPConfig{
		Command: "node",
		Args:    []string{"${__dirname}/server/index.js", "--base"},
		Env:     map[string]string{"BASE": "1", "SHARED": "base"},
		PlatformOverrides: map[string]mcpb.MCPConfigOverride{
			"linux": {Args: []string{"${__dirname}/server/index.js", "--linux"}, Env: map[string]string{"SHARED": "linux"}},
			"win32": {Command: "node.exe", Args: []string{"--win32"}},
		},
	}}}

	c, err := Build(request(m, dir))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(dir, "server/index.js"), "--linux"}; !reflect.DeepEqual(c.Args, want) {
		t.Errorf("linux args = %q, want %q", c.Args, want)
	}
	env := envMap(c.Env)
	if _, ok := env["BASE"]; ok || env["SHARED"] != "linux" {
		t.Errorf("linux env = %v: the override's env must replace the base env, not merge", env)
	}
	if c.Path != "/host/bin/node" {
		t.Errorf("linux command = %q: the win32 override must not apply", c.Path)
	}

	for _, goos := range []string{"windows", "win32"} {
		r := request(m, dir)
		r.GOOS = goos
		r.LookPath = onPath("node.exe")
		c, err := Build(r)
		if err != nil {
			t.Fatal(err)
		}
		if c.Path != "/host/bin/node.exe" || !reflect.DeepEqual(c.Args, []string{"--win32"}) {
			t.Errorf("%s: %q %q, want the win32 override", goos, c.Path, c.Args)
		}
		if env := envMap(c.Env); env["BASE"] != "1" {
			t.Errorf("%s: env = %v: an override without env keeps the base env", goos, env)
		}
	}

	// Overrides keyed by Go's name work too.
	m.Server.MCPConfig.PlatformOverrides = map[string]mcpb.MCPConfigOverride{"windows": {Args: []string{"--windows"}}}
	r := request(m, dir)
	r.GOOS = "windows"
	if c, err := Build(r); err != nil || !reflect.DeepEqual(c.Args, []string{"--windows"}) {
		t.Errorf("windows-keyed override: %v, %v; want its args", c, err)
	}
}

// "args": [] in an override is set, so it clears the base args.
func TestBuildOverrideEmptyArgsClears(t *testing.T) {
	dir := bundleDir(t, "tool")
	m := &mcpb.Manifest{Server: mcpb.Server{Type: mcpb.ServerBinary, EntryPoint: "tool", MCPConfig: &mcpb.MCPConfig{
		Command:           "${__dirname}/tool",
		Args:              []string{"--base"},
		PlatformOverrides: map[string]mcpb.MCPConfigOverride{"linux": {Args: []string{}}},
	}}}
	c, err := Build(request(m, dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Args) != 0 {
		t.Errorf("args = %q, want none", c.Args)
	}
}

func TestBuildNodeDefaults(t *testing.T) {
	dir := bundleDir(t, "server/index.js")
	for name, mc := range map[string]*mcpb.MCPConfig{"no mcp_config": nil, "empty mcp_config": {}} {
		m := &mcpb.Manifest{Server: mcpb.Server{Type: mcpb.ServerNode, EntryPoint: "server/index.js", MCPConfig: mc}}
		c, err := Build(request(m, dir))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.Path != "/host/bin/node" || !reflect.DeepEqual(c.Args, []string{filepath.Join(dir, "server", "index.js")}) {
			t.Errorf("%s: %q %q", name, c.Path, c.Args)
		}
		if c.Dir != "" {
			t.Errorf("%s: Dir = %q, want the caller's working directory", name, c.Dir)
		}
	}

	m := &mcpb.Manifest{Server: mcpb.Server{Type: mcpb.ServerNode, EntryPoint: "dist/main.js"}}
	if _, err := Build(request(m, dir)); err == nil || !strings.Contains(err.Error(), `"dist/main.js"`) {
		t.Errorf("missing entry point: %v", err)
	}
	m.Server.EntryPoint = "../escape.js"
	if _, err := Build(request(m, dir)); err == nil {
		t.Error("an entry point outside the bundle was accepted")
	}
}

func TestBuildMissingRuntime(t *testing.T) {
	dir := bundleDir(t, "server/index.js", "server/main.py")
	tests := []struct {
		server mcpb.Server
		want   []string
	}{
		{mcpb.Server{Type: mcpb.ServerNode, EntryPoint: "server/index.js"}, []string{"needs node", "https://nodejs.org/"}},
		{mcpb.Server{Type: mcpb.ServerPython, EntryPoint: "server/main.py"}, []string{"python3", "https://www.python.org/"}},
		{mcpb.Server{Type: mcpb.ServerUV, EntryPoint: "server/main.py"}, []string{"needs uv", "https://docs.astral.sh/uv/"}},
		{mcpb.Server{Type: mcpb.ServerNode, MCPConfig: &mcpb.MCPConfig{Command: "deno", Args: []string{"x"}}}, []string{"needs deno", "PATH"}},
	}
	for _, tt := range tests {
		r := request(&mcpb.Manifest{Server: tt.server}, dir)
		r.LookPath = onPath()
		_, err := Build(r)
		if err == nil {
			t.Errorf("%s: Build succeeded without its runtime", tt.server.Type)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not contain %q", tt.server.Type, err, w)
			}
		}
	}
}

func TestBuildPython(t *testing.T) {
	dir := bundleDir(t, "server/main.py", "server/lib/dep/__init__.py")
	lib := filepath.Join(dir, "server", "lib")
	m := &mcpb.Manifest{Server: mcpb.Server{Type: mcpb.ServerPython, EntryPoint: "server/main.py", MCPConfig: &mcpb.MCPConfig{Command: "python"}}}

	r := request(m, dir)
	r.Environ = append(r.Environ, "PYTHONPATH=/host/site")
	c, err := Build(r)
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != "/host/bin/python3" || !reflect.DeepEqual(c.Args, []string{filepath.Join(dir, "server", "main.py")}) {
		t.Errorf("got %q %q, want python3 and the entry point", c.Path, c.Args)
	}
	if got := envMap(c.Env)["PYTHONPATH"]; got != lib+":/host/site" {
		t.Errorf("PYTHONPATH = %q, want server/lib before the inherited path", got)
	}

	// The bundle's own PYTHONPATH is kept, after server/lib.
	m.Server.MCPConfig.Env = map[string]string{"PYTHONPATH": "${__dirname}/vendor"}
	r.LookPath = onPath("python") // and python is the fallback
	if c, err = Build(r); err != nil {
		t.Fatal(err)
	}
	if got := envMap(c.Env)["PYTHONPATH"]; got != lib+":"+filepath.Join(dir, "vendor") {
		t.Errorf("PYTHONPATH = %q", got)
	}
	if c.Path != "/host/bin/python" {
		t.Errorf("without python3: %q", c.Path)
	}

	// No server/lib: PYTHONPATH is left alone.
	dir = bundleDir(t, "server/main.py")
	c, err = Build(request(&mcpb.Manifest{Server: mcpb.Server{Type: mcpb.ServerPython, EntryPoint: "server/main.py"}}, dir))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := envMap(c.Env)["PYTHONPATH"]; ok {
		t.Errorf("PYTHONPATH set without server/lib: %v", c.Env)
	}
}

func TestBuildBinary(t *testing.T) {
	for _, command := range []string{"${__dirname}/server/tool", "server/tool", "${__dirname}${/}server${/}tool", ""} {
		dir := bundleDir(t, "server/tool")
		tool := filepath.Join(dir, "server", "tool")
		m := &mcpb.Manifest{Server: mcpb.Server{Type: mcpb.ServerBinary, EntryPoint: "server/tool", MCPConfig: &mcpb.MCPConfig{Command: command, Args: []string{"--stdio"}}}}
		c, err := Build(request(m, dir))
		if err != nil {
			t.Fatalf("%q: %v", command, err)
		}
		if c.Path != tool || !reflect.DeepEqual(c.Args, []string{"--stdio"}) {
			t.Errorf("%q: %q %q, want %s", command, c.Path, c.Args, tool)
		}
		if runtime.GOOS != "windows" {
			fi, err := os.Stat(tool)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o744 {
				t.Errorf("%q: mode %v, want the owner's exec bit added to 0644", command, fi.Mode().Perm())
			}
		}
	}

	// A bare name is the bundle's file when there is one, else a host program.
	dir := bundleDir(t, "tool")
	m := &mcpb.Manifest{Server: mcpb.Server{Type: mcpb.ServerBinary, EntryPoint: "tool", MCPConfig: &mcpb.MCPConfig{Command: "tool"}}}
	if c, err := Build(request(m, dir)); err != nil || c.Path != filepath.Join(dir, "tool") {
		t.Errorf("bare bundle file: %v, %v", c, err)
	}
	m.Server.MCPConfig.Command = "uv"
	if c, err := Build(request(m, dir)); err != nil || c.Path != "/host/bin/uv" {
		t.Errorf("bare host program: %v, %v", c, err)
	}

	m.Server.MCPConfig.Command = "${__dirname}/server/missing"
	_, err := Build(request(m, dir))
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "server", "missing")) {
		t.Errorf("missing binary: %v", err)
	}
}

func TestBuildBinaryWindowsExe(t *testing.T) {
	dir := bundleDir(t, "server/tool.exe")
	m := &mcpb.Manifest{Server: mcpb.Server{Type: mcpb.ServerBinary, EntryPoint: "server/tool", MCPConfig: &mcpb.MCPConfig{Command: "${__dirname}/server/tool"}}}
	r := request(m, dir)
	r.GOOS = "windows"
	c, err := Build(r)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "server", "tool.exe"); c.Path != want {
		t.Errorf("Path = %q, want %q", c.Path, want)
	}
	if _, err := Build(request(m, dir)); err == nil {
		t.Error("on linux, .exe must not be added")
	}
}

func TestBuildUV(t *testing.T) {
	dir := bundleDir(t, "pyproject.toml", "src/server.py")
	m := &mcpb.Manifest{Server: mcpb.Server{Type: mcpb.ServerUV, EntryPoint: "src/server.py"}}
	c, err := Build(request(m, dir))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"run", "--project", dir, filepath.Join(dir, "src", "server.py")}
	if c.Path != "/host/bin/uv" || !reflect.DeepEqual(c.Args, want) {
		t.Errorf("got %q %q, want uv %q", c.Path, c.Args, want)
	}

	// With mcp_config, it is used as written.
	m.Server.MCPConfig = &mcpb.MCPConfig{Command: "uv", Args: []string{"run", "${__dirname}/src/server.py"}}
	if c, err = Build(request(m, dir)); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Args, []string{"run", filepath.Join(dir, "src/server.py")}) {
		t.Errorf("args = %q", c.Args)
	}
}

func TestBuildEnvironment(t *testing.T) {
	dir := bundleDir(t, "server/index.js")
	m := &mcpb.Manifest{Server: mcpb.Server{Type: mcpb.ServerNode, EntryPoint: "server/index.js", MCPConfig: &mcpb.MCPConfig{
		Command: "node",
		Args:    []string{"${__dirname}/server/index.js", "${user_config.dirs}"},
		Env:     map[string]string{"API_KEY": "${user_config.api_key}", "HOME_DIR": "${HOME}", "SHARED": "bundle"},
	}}}
	r := request(m, dir)
	r.Environ = []string{"PATH=/host/bin", "SHARED=host", "KEEP=1", "SHARED=host2", "API_KEY=host"}
	r.UserConfig = map[string]Value{
		"api_key": {List: []string{"k"}},
		"dirs":    {List: []string{"/a", "/b"}, Multiple: true},
		"secret":  {List: []string{"not-referenced"}},
	}
	c, err := Build(r)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"PATH": "/host/bin", "KEEP": "1", "SHARED": "bundle", "API_KEY": "k", "HOME_DIR": "/home/u"}
	if got := envMap(c.Env); !reflect.DeepEqual(got, want) {
		t.Errorf("env = %v\nwant  %v", got, want)
	}
	if !reflect.DeepEqual(c.Args, []string{filepath.Join(dir, "server/index.js"), "/a", "/b"}) {
		t.Errorf("args = %q", c.Args)
	}
	if strings.Contains(strings.Join(append(c.Args, c.Env...), " "), "not-referenced") {
		t.Error("a user_config value the manifest does not refer to reached the server")
	}
}

func TestBuildUnsupportedType(t *testing.T) {
	_, err := Build(request(&mcpb.Manifest{Server: mcpb.Server{Type: "wasm"}}, t.TempDir()))
	if err == nil || !strings.Contains(err.Error(), `"wasm"`) || !strings.Contains(err.Error(), "upgrade mpak") {
		t.Errorf("err = %v", err)
	}
}

func TestMergeEnvWindowsNames(t *testing.T) {
	got := mergeEnv([]string{"=C:=C:\\x", "=D:=D:\\y", "Path=C:\\bin"}, map[string]string{"PATH": "C:\\b"}, "windows")
	want := []string{"=C:=C:\\x", "=D:=D:\\y", "PATH=C:\\b"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// A binary bundle whose file lost its exec bit runs, with its arguments and
// environment substituted: Build and Run together on a real process.
func TestBuildAndRunBinaryBundle(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(helperBin(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "server"), 0o755); err != nil {
		t.Fatal(err)
	}
	name := "server/tool"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
		t.Fatal(err)
	}
	m := &mcpb.Manifest{Server: mcpb.Server{Type: mcpb.ServerBinary, EntryPoint: "server/tool", MCPConfig: &mcpb.MCPConfig{
		Command: "${__dirname}/server/tool",
		Args:    []string{"args", "${user_config.dirs}", "--root=${__dirname}"},
	}}}
	c, err := Build(Request{Manifest: m, Dir: dir, UserConfig: map[string]Value{"dirs": {List: []string{"/a", "/b c"}, Multiple: true}}})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code, err := Run(context.Background(), c, nil, &out, os.Stderr)
	if err != nil || code != 0 {
		t.Fatalf("Run = %d, %v", code, err)
	}
	if want := "/a\n/b c\n--root=" + dir + "\n"; out.String() != want {
		t.Errorf("server saw args %q, want %q", out.String(), want)
	}
}

// requireRuntime skips, loudly, when a runtime the test needs is missing.
func requireRuntime(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("SKIPPING: %s is not installed on this machine, so the real %s bundle path is untested", name, name)
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func runBundle(t *testing.T, m *mcpb.Manifest, dir string, uc map[string]Value, stdin io.Reader) string {
	t.Helper()
	c, err := Build(Request{Manifest: m, Dir: dir, UserConfig: uc})
	if err != nil {
		t.Fatal(err)
	}
	var out, stderr bytes.Buffer
	code, err := Run(context.Background(), c, stdin, &out, &stderr)
	if err != nil || code != 0 {
		t.Fatalf("Run = %d, %v; stderr:\n%s", code, err, stderr.String())
	}
	return out.String()
}

func TestNodeBundleRuns(t *testing.T) {
	requireRuntime(t, "node")
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"server/index.js": `
process.stdin.on("data", d => process.stdout.write("echo:" + d));
process.stdin.on("end", () => console.log(process.env.API_KEY + "|" + process.argv.slice(2).join("|")));
`})
	m := &mcpb.Manifest{Server: mcpb.Server{Type: mcpb.ServerNode, EntryPoint: "server/index.js", MCPConfig: &mcpb.MCPConfig{
		Command: "node",
		Args:    []string{"${__dirname}/server/index.js", "${user_config.debug}"},
		Env:     map[string]string{"API_KEY": "${user_config.api_key}"},
	}}}
	got := runBundle(t, m, dir, map[string]Value{"api_key": {List: []string{"k"}}, "debug": {List: []string{"true"}}}, strings.NewReader("hi\n"))
	if got != "echo:hi\nk|true\n" {
		t.Errorf("node server printed %q", got)
	}
}

func TestPythonBundleRunsWithServerLib(t *testing.T) {
	requireRuntime(t, "python3")
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"server/main.py":                 "import sys, bundled\nprint(bundled.NAME, sys.argv[1:])\n",
		"server/lib/bundled/__init__.py": "NAME = 'from server/lib'\n",
	})
	m := &mcpb.Manifest{Server: mcpb.Server{Type: mcpb.ServerPython, EntryPoint: "server/main.py", MCPConfig: &mcpb.MCPConfig{Command: "python3"}}}
	if got := runBundle(t, m, dir, nil, nil); got != "from server/lib []\n" {
		t.Errorf("python server printed %q", got)
	}
}
