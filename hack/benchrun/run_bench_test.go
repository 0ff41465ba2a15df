package benchrun

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mpak-oci/mpak/cache"
	"github.com/mpak-oci/mpak/install"
	"github.com/mpak-oci/mpak/launch"
	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/bundle/bundletest"
	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/registry/embedded"
)

const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}` + "\n"

// fixture is a registry with the clock example published at 1.0.0 (small)
// and 2.0.0 (with 20 MB of incompressible payload), built once.
type fixture struct {
	dir      string
	mpak     string
	host     string
	env      []string
	cacheDir string
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

func setup(tb testing.TB) *fixture {
	tb.Helper()
	fixOnce.Do(func() { fix, fixErr = build() })
	if fixErr != nil {
		tb.Fatal(fixErr)
	}
	return fix
}

func build() (*fixture, error) {
	dir, err := os.MkdirTemp("", "mpak-benchrun-")
	if err != nil {
		return nil, err
	}
	f := &fixture{dir: dir, mpak: filepath.Join(dir, "mpak"), cacheDir: filepath.Join(dir, "cache")}
	clock := filepath.Join(dir, "clock")
	for pkg, out := range map[string]string{"../../cmd/mpak": f.mpak, "../examples/clock-go": clock} {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
		}
	}
	reg, err := embedded.New(context.Background(), embedded.Options{Dir: filepath.Join(dir, "registry")})
	if err != nil {
		return nil, err
	}
	srv := httptest.NewServer(reg)
	f.host = strings.TrimPrefix(srv.URL, "http://")
	f.env = append(os.Environ(), "MPAK_REGISTRY="+f.host, "MPAK_CACHE="+f.cacheDir,
		"MPAK_CONFIG="+filepath.Join(dir, "config.json"), "DOCKER_CONFIG="+dir)
	for version, payload := range map[string]int{"1.0.0": 0, "2.0.0": 20 << 20} {
		if err := publish(f, clock, version, payload); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func publish(f *fixture, clock, version string, payload int) error {
	src := filepath.Join(f.dir, "src-"+version)
	if err := os.MkdirAll(filepath.Join(src, "server"), 0o755); err != nil {
		return err
	}
	manifest, err := os.ReadFile("../examples/clock-go/manifest.json")
	if err != nil {
		return err
	}
	manifest = []byte(strings.Replace(string(manifest), `"version": "1.0.0"`, `"version": "`+version+`"`, 1))
	bin, err := os.ReadFile(clock)
	if err != nil {
		return err
	}
	files := map[string][]byte{"manifest.json": manifest, "server/clock": bin}
	if payload > 0 {
		data := make([]byte, payload)
		rand.Read(data)
		files["server/payload.bin"] = data
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(src, name), b, 0o755); err != nil {
			return err
		}
	}
	out := filepath.Join(f.dir, "clock-"+version+".mcpb")
	if _, err := mcpb.PackFile(src, out, mcpb.PackOptions{}); err != nil {
		return err
	}
	plan, err := bundle.Prepare([]bundle.File{{Path: out, Platform: mediatypes.Host()}}, bundle.PrepareOptions{})
	if err != nil {
		return err
	}
	r, err := ref.Parse(f.host+"/example/clock", ref.Defaults{})
	if err != nil {
		return err
	}
	repo, err := connect.Options{}.Repository(r)
	if err != nil {
		return err
	}
	_, err = bundle.Push(context.Background(), repo, plan, version, bundle.PushOptions{})
	return err
}

// untilInitialized starts cmd, sends initialize and waits for the answer;
// then closes stdin so the server exits, and reaps it.
func untilInitialized(tb testing.TB, cmd *exec.Cmd) {
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	io.WriteString(stdin, initialize)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.Contains(line, `"id":1`) {
		tb.Fatalf("no initialize answer (%v): %q\nstderr: %s", err, line, stderr.String())
	}
	stdin.Close()
	cmd.Wait()
}

// directCommand is what mpak would exec for the cached clock 1.0.0.
func directCommand(tb testing.TB, f *fixture) *launch.Command {
	c, err := cache.Open(f.cacheDir)
	if err != nil {
		tb.Fatal(err)
	}
	r, _ := ref.Parse(f.host+"/example/clock:1.0.0", ref.Defaults{})
	res, err := install.Install(context.Background(), r, install.Options{Cache: c})
	if err != nil {
		tb.Fatal(err)
	}
	values, err := launch.ResolveUserConfig(res.Manifest, launch.Sources{Environ: os.Environ()})
	if err != nil {
		tb.Fatal(err)
	}
	cmd, err := launch.Build(launch.Request{Manifest: res.Manifest, Dir: res.Entry.Dir, UserConfig: values, Environ: f.env})
	if err != nil {
		tb.Fatal(err)
	}
	return cmd
}

// BenchmarkWarmStart compares `mpak run` of a cached bundle with exec'ing
// the extracted server directly, both until MCP initialize is answered.
func BenchmarkWarmStart(b *testing.B) {
	f := setup(b)
	direct := directCommand(b, f) // also warms the cache
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			cmd := exec.Command(direct.Path, direct.Args...)
			cmd.Env = direct.Env
			untilInitialized(b, cmd)
		}
	})
	b.Run("mpak", func(b *testing.B) {
		for b.Loop() {
			cmd := exec.Command(f.mpak, "run", "-q", "@example/clock@1.0.0")
			cmd.Env = f.env
			untilInitialized(b, cmd)
		}
	})
}

// BenchmarkColdStart runs a 20 MB bundle with an empty cache each time,
// and times the parts: resolve+download+verify, and extract.
func BenchmarkColdStart(b *testing.B) {
	f := setup(b)
	b.Run("mpak-run", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			os.RemoveAll(f.cacheDir)
			b.StartTimer()
			cmd := exec.Command(f.mpak, "run", "-q", "@example/clock@2.0.0")
			cmd.Env = f.env
			untilInitialized(b, cmd)
		}
		b.SetBytes(20 << 20)
	})
	r, _ := ref.Parse(f.host+"/example/clock", ref.Defaults{})
	repo, err := connect.Options{}.Repository(r)
	if err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(f.dir, "pulled")
	b.Run("pull-verify", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			os.RemoveAll(out)
			b.StartTimer()
			if _, err := bundle.Pull(context.Background(), repo, bundletest.Resolve(b, repo, "2.0.0"), bundle.PullOptions{Output: out, Force: true}); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(20 << 20)
	})
	file, _ := filepath.Glob(filepath.Join(out, "*.mcpb"))
	b.Run("extract", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			dst := filepath.Join(f.dir, "extract")
			os.RemoveAll(dst)
			os.MkdirAll(dst, 0o755)
			b.StartTimer()
			a, err := mcpb.Open(file[0], mcpb.OpenOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if err := a.Extract(dst); err != nil {
				b.Fatal(err)
			}
			a.Close()
		}
		b.SetBytes(20 << 20)
	})
}

// TestWarmRunServes keeps the harness honest in `make test`: mpak run of
// the cached bundle answers initialize exactly as the direct exec does.
func TestWarmRunServes(t *testing.T) {
	f := setup(t)
	direct := directCommand(t, f)
	cmd := exec.Command(direct.Path, direct.Args...)
	cmd.Env = direct.Env
	untilInitialized(t, cmd)
	cmd = exec.Command(f.mpak, "run", "-q", "@example/clock@1.0.0")
	cmd.Env = f.env
	untilInitialized(t, cmd)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fix != nil {
		os.RemoveAll(fix.dir)
	}
	os.Exit(code)
}
