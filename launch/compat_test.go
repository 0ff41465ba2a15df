package launch

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/mcpb"
)

// versions is a Probe reporting fixed versions and counting its calls.
type versions struct {
	v     map[string]string
	calls []string
}

func (p *versions) probe(rt string) (string, error) {
	p.calls = append(p.calls, rt)
	if v, ok := p.v[rt]; ok {
		return v, nil
	}
	return "", errors.New(rt + " is not on PATH")
}

func compatManifest(serverType string, c *mcpb.Compatibility) *mcpb.Manifest {
	return &mcpb.Manifest{Server: mcpb.Server{Type: serverType}, Compatibility: c}
}

func TestCheckCompatibilityPlatforms(t *testing.T) {
	p := &versions{}
	m := compatManifest(mcpb.ServerBinary, &mcpb.Compatibility{Platforms: []string{"darwin", "win32"}})
	err := CheckCompatibility(m, "linux", p.probe)
	if err == nil {
		t.Fatal("a darwin/win32 bundle was accepted on linux")
	}
	for _, want := range []string{"darwin, win32", "not on linux", "linux build"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if err := CheckCompatibility(m, "windows", p.probe); err != nil {
		t.Errorf("win32 bundle on windows: %v", err)
	}
	if err := CheckCompatibility(m, "darwin", p.probe); err != nil {
		t.Errorf("darwin: %v", err)
	}
	m.Compatibility.Platforms = []string{"windows"} // Go's name, tolerated
	if err := CheckCompatibility(m, "windows", p.probe); err != nil {
		t.Errorf("windows-named platform: %v", err)
	}
	if err := CheckCompatibility(compatManifest(mcpb.ServerNode, nil), "plan9", p.probe); err != nil {
		t.Errorf("no compatibility section: %v", err)
	}
	if len(p.calls) != 0 {
		t.Errorf("probed %v without runtime constraints", p.calls)
	}
}

func TestCheckCompatibilityRuntimes(t *testing.T) {
	tests := []struct {
		name       string
		serverType string
		runtimes   map[string]string
		have       map[string]string
		wantErr    string // "" means compatible
		wantCalls  int
	}{
		{"node new enough", mcpb.ServerNode, map[string]string{"node": ">=18.0.0"}, map[string]string{"node": "20.11.1"}, "", 1},
		{"node too old", mcpb.ServerNode, map[string]string{"node": ">=18"}, map[string]string{"node": "16.20.2"}, "this bundle needs node >=18 but node is 16.20.2", 1},
		{"node v-prefixed", mcpb.ServerNode, map[string]string{"node": "^20"}, map[string]string{"node": "v20.1.0"}, "", 1},
		{"nightly counts as its release", mcpb.ServerNode, map[string]string{"node": ">=22"}, map[string]string{"node": "22.0.0-nightly2024"}, "", 1},
		{"python comma range", mcpb.ServerPython, map[string]string{"python": ">=3.8,<4.0"}, map[string]string{"python": "3.11.7"}, "", 1},
		{"python space range", mcpb.ServerPython, map[string]string{"python": ">=3.8.0 <4"}, map[string]string{"python": "3.11"}, "", 1},
		{"python too new", mcpb.ServerPython, map[string]string{"python": ">=3.8,<3.11"}, map[string]string{"python": "3.11.7"}, "needs python >=3.8,<3.11 but python is 3.11.7", 1},
		{"python too old, two-part version", mcpb.ServerPython, map[string]string{"python": ">=3.10"}, map[string]string{"python": "3.9"}, "python is 3.9", 1},
		{"runtime missing", mcpb.ServerNode, map[string]string{"node": ">=18"}, nil, "node is not on PATH", 1},
		{"unparseable constraint is skipped", mcpb.ServerNode, map[string]string{"node": "LTS please"}, nil, "", 0},
		{"other runtime not probed", mcpb.ServerNode, map[string]string{"python": ">=99"}, nil, "", 0},
		{"binary probes nothing", mcpb.ServerBinary, map[string]string{"node": ">=99", "python": ">=99"}, nil, "", 0},
		{"uv brings its own python", mcpb.ServerUV, map[string]string{"python": ">=99"}, nil, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &versions{v: tt.have}
			err := CheckCompatibility(compatManifest(tt.serverType, &mcpb.Compatibility{Runtimes: tt.runtimes}), "linux", p.probe)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if len(p.calls) != tt.wantCalls {
				t.Errorf("probed %v, want %d call(s)", p.calls, tt.wantCalls)
			}
		})
	}
}

var plainVersion = regexp.MustCompile(`^\d+\.\d+\.\d+`)

func TestExecProbe(t *testing.T) {
	for _, rt := range []string{RuntimeNode, RuntimePython} {
		t.Run(rt, func(t *testing.T) {
			bin := map[string]string{RuntimeNode: "node", RuntimePython: "python3"}[rt]
			requireRuntime(t, bin)
			v, err := ExecProbe()(rt)
			if err != nil {
				t.Fatal(err)
			}
			if !plainVersion.MatchString(v) {
				t.Errorf("version %q is not N.N.N", v)
			}
			out, err := exec.Command(bin, "--version").CombinedOutput()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(out), v) {
				t.Errorf("probe said %q, but %s --version says %q", v, bin, out)
			}
		})
	}
}

// fakeNode writes a "node" that logs each run to a file and prints version.
func fakeNode(t *testing.T, dir, version string) (bin, log string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("SKIPPING: the fake runtime is a shell script")
	}
	bin = filepath.Join(dir, "bin", "node")
	log = filepath.Join(dir, "runs.log")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\necho run >> '" + log + "'\necho v" + version + "\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, log
}

func runs(t *testing.T, log string) int {
	t.Helper()
	b, err := os.ReadFile(log)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	} else if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "run\n")
}

func TestCachedProbeCaches(t *testing.T) {
	dir := t.TempDir()
	bin, log := fakeNode(t, dir, "20.11.1")
	cache := filepath.Join(dir, "cache", "runtimes.json")
	lookPath := func(name string) (string, error) {
		if name == "node" {
			return bin, nil
		}
		return "", exec.ErrNotFound
	}

	for i := range 3 {
		// A new Probe each time, as each mpak run makes one: only the file
		// carries the answer over.
		v, err := CachedProbe(cache, lookPath)(RuntimeNode)
		if err != nil || v != "20.11.1" {
			t.Fatalf("probe %d = %q, %v", i, v, err)
		}
	}
	if n := runs(t, log); n != 1 {
		t.Errorf("node ran %d times for 3 probes, want 1", n)
	}

	// Upgrading the runtime changes its size and mtime, and so the answer.
	fakeNode(t, dir, "22.1.10")
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(bin, later, later); err != nil {
		t.Fatal(err)
	}
	if v, err := CachedProbe(cache, lookPath)(RuntimeNode); err != nil || v != "22.1.10" {
		t.Errorf("after an upgrade: %q, %v; want the new version", v, err)
	}
	if n := runs(t, log); n != 2 {
		t.Errorf("node ran %d times, want 2", n)
	}

	// A corrupt cache is only a miss.
	if err := os.WriteFile(cache, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if v, err := CachedProbe(cache, lookPath)(RuntimeNode); err != nil || v != "22.1.10" {
		t.Errorf("with a corrupt cache: %q, %v", v, err)
	}
}

func TestCachedProbeSkipsShims(t *testing.T) {
	dir := t.TempDir()
	bin, log := fakeNode(t, dir, "18.0.0")
	shim := filepath.Join(dir, "shims", "node")
	if err := os.MkdirAll(filepath.Dir(shim), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(bin, shim); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(dir, "runtimes.json")
	lookPath := func(string) (string, error) { return shim, nil }
	for range 2 {
		if v, err := CachedProbe(cache, lookPath)(RuntimeNode); err != nil || v != "18.0.0" {
			t.Fatalf("probe = %q, %v", v, err)
		}
	}
	if n := runs(t, log); n != 2 {
		t.Errorf("a version-manager shim ran %d times for 2 probes, want 2 (never cached)", n)
	}
}

func TestCachedProbeMissingRuntime(t *testing.T) {
	_, err := CachedProbe(filepath.Join(t.TempDir(), "c.json"), func(string) (string, error) { return "", exec.ErrNotFound })(RuntimePython)
	if err == nil || !strings.Contains(err.Error(), "python3 is not on PATH") {
		t.Errorf("err = %v", err)
	}
}
