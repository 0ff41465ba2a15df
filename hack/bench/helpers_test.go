package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/credentials"

	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/registry/embedded"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// inproc runs the registry inside the benchmark process instead of a child
// process. The child is the default so that B/op, allocs/op and the heap
// peak measure the client alone: in-process, distribution's own
// allocations for every upload would be counted against both peers.
var inproc = flag.Bool("bench.inproc", false, "run the registry in the benchmark process (B/op then includes the server)")

// registryEnv, when set in the environment, turns the test binary into the
// registry: TestMain serves distribution/v3 storing under its value.
const registryEnv = "MPAK_BENCH_REGISTRY_DIR"

// workDir holds fixtures and the registry's storage for the whole run, so
// that -count N builds them once rather than N times. With fixtureDirEnv
// set, fixtures are kept there and reused by later runs (compare.sh runs
// one process per round so that rounds of the two peers interleave).
var (
	workDir     string
	keepWorkDir bool
)

const fixtureDirEnv = "MPAK_BENCH_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(registryEnv); dir != "" {
		serveRegistry(dir)
		return
	}
	flag.Parse()
	var err error
	if workDir = os.Getenv(fixtureDirEnv); workDir != "" {
		keepWorkDir = true
		err = os.MkdirAll(workDir, 0o755)
	} else {
		workDir, err = os.MkdirTemp("", "mpak-bench-")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	stopRegistry()
	if !keepWorkDir {
		os.RemoveAll(workDir)
	}
	os.Exit(code)
}

// serveRegistry is the child process: distribution/v3 on 127.0.0.1 with
// filesystem storage, its host:port on stdout, until stdin closes.
func serveRegistry(dir string) {
	reg, err := embedded.New(context.Background(), embedded.Options{Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv := httptest.NewServer(reg)
	fmt.Println(strings.TrimPrefix(srv.URL, "http://"))
	_, _ = io.Copy(io.Discard, os.Stdin) // the parent closed stdin or exited
	srv.Close()
	reg.Close()
	os.Exit(0)
}

var (
	regOnce sync.Once
	regHost string
	regErr  error
	regStop func()
)

// registryHost returns the run's registry, started on first use. The
// in-process variant lives as long as tb; the child as long as the run.
func registryHost(tb testing.TB) string {
	tb.Helper()
	if *inproc {
		return registrytest.DistributionAt(tb, tb.TempDir())
	}
	regOnce.Do(func() {
		// Each process stores into a registry of its own, removed at exit.
		dir := filepath.Join(workDir, fmt.Sprintf("registry-%d", os.Getpid()))
		var stop func()
		regHost, stop, regErr = startChildRegistry(dir)
		if regErr == nil {
			regStop = func() { stop(); os.RemoveAll(dir) }
		}
	})
	if regErr != nil {
		tb.Fatalf("starting the registry: %v", regErr)
	}
	return regHost
}

func stopRegistry() {
	if regStop != nil {
		regStop()
	}
}

func startChildRegistry(dir string) (string, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), registryEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("reading the registry address: %w", err)
	}
	return strings.TrimSpace(line), stop, nil
}

var repoSeq atomic.Int64

// freshRepository opens a repository no one has pushed to, so no blob is
// already linked in it. Both peers get the same client: oci/connect's, as
// the mpak CLI builds it (retrying transport, auth client, plain HTTP on
// loopback), with an empty credential store instead of the docker config.
func freshRepository(tb testing.TB, host, prefix string) *remote.Repository {
	tb.Helper()
	// The repository ends in the fixture's name, as a bundle's must.
	return repository(tb, host, fmt.Sprintf("bench/%s-%d/%s", strings.ToLower(prefix), repoSeq.Add(1), fixtureName))
}

func repository(tb testing.TB, host, path string) *remote.Repository {
	tb.Helper()
	r, err := ref.Parse(host+"/"+path, ref.Defaults{})
	if err != nil {
		tb.Fatal(err)
	}
	repo, err := connect.Options{Credentials: credentials.NewMemoryStore()}.Repository(r)
	if err != nil {
		tb.Fatal(err)
	}
	return repo
}

// The platforms of a fixture version; pulls select the first.
var (
	linuxAMD64 = mediatypes.Platform{OS: "linux", Arch: "amd64"}
	platforms  = []mediatypes.Platform{linuxAMD64, {OS: "darwin", Arch: "arm64"}, {OS: "windows", Arch: "amd64"}}
)

const (
	fixtureName    = "bench"
	fixtureVersion = "1.0.0"
)

// fixtureFile is one packed platform build.
type fixtureFile struct {
	Path     string
	Platform mediatypes.Platform
	Size     int64
	Manifest []byte // manifest.json as packed
}

// fixture is a three-platform version whose builds each carry payload
// bytes of incompressible random data.
type fixture struct {
	Files []fixtureFile
	Total int64
}

var (
	fixtureMu sync.Mutex
	fixtures  = map[int64]*fixture{}
)

// fixtureOf packs (once per run) the version with a payload of size bytes
// per platform.
func fixtureOf(tb testing.TB, size int64) *fixture {
	tb.Helper()
	fixtureMu.Lock()
	defer fixtureMu.Unlock()
	if f := fixtures[size]; f != nil {
		return f
	}
	dir := filepath.Join(workDir, fmt.Sprintf("fixture-%d", size))
	f, err := loadFixture(dir)
	if err != nil {
		os.RemoveAll(dir)
		if f, err = buildFixture(dir, size); err != nil {
			tb.Fatalf("building the %d byte fixture: %v", size, err)
		}
	}
	fixtures[size] = f
	return f
}

const fixtureIndex = "fixture.json"

// loadFixture reads a fixture an earlier run left in dir, if it is whole.
func loadFixture(dir string) (*fixture, error) {
	data, err := os.ReadFile(filepath.Join(dir, fixtureIndex))
	if err != nil {
		return nil, err
	}
	var fx fixture
	if err := json.Unmarshal(data, &fx); err != nil {
		return nil, err
	}
	if len(fx.Files) != len(platforms) {
		return nil, fmt.Errorf("%s: %d files", dir, len(fx.Files))
	}
	for _, f := range fx.Files {
		if fi, err := os.Stat(f.Path); err != nil || fi.Size() != f.Size {
			return nil, fmt.Errorf("%s: missing or changed", f.Path)
		}
	}
	return &fx, nil
}

func buildFixture(dir string, size int64) (*fixture, error) {
	fx := &fixture{}
	for i, p := range platforms {
		src := filepath.Join(dir, "src-"+p.OS+"-"+p.Arch)
		if err := writeSource(src, p, size, uint64(i)); err != nil {
			return nil, err
		}
		// The name mpak gives the layer title, so both peers pull to the
		// same file name.
		out := filepath.Join(dir, fmt.Sprintf("%s-%s-%s-%s.mcpb", fixtureName, fixtureVersion, p.OS, p.Arch))
		res, err := mcpb.PackFile(src, out, mcpb.PackOptions{})
		if err != nil {
			return nil, err
		}
		manifest, err := os.ReadFile(filepath.Join(src, "manifest.json"))
		if err != nil {
			return nil, err
		}
		// Only the zip is needed from here on.
		if err := os.RemoveAll(src); err != nil {
			return nil, err
		}
		fx.Files = append(fx.Files, fixtureFile{Path: out, Platform: p, Size: res.Size, Manifest: manifest})
		fx.Total += res.Size
	}
	data, err := json.Marshal(fx)
	if err != nil {
		return nil, err
	}
	// Written last: its presence means the fixture is complete.
	return fx, os.WriteFile(filepath.Join(dir, fixtureIndex), data, 0o644)
}

// writeSource writes a bundle directory: the manifest shape of
// oci/bundle's tests, server/index.js and size bytes of random data from a
// seeded generator, different for each platform and the same every run.
func writeSource(dir string, p mediatypes.Platform, size int64, seed uint64) error {
	manifest := fmt.Sprintf(`{
  "manifest_version": "0.3",
  "name": %q,
  "version": %q,
  "description": "benchmark server \u00e9 (%s)",
  "author": {"name": "Test Author", "email": "t@example.com"},
  "repository": {"type": "git", "url": "https://example.com/src.git"},
  "license": "MIT",
  "server": {"type": "node", "entry_point": "server/index.js",
    "mcp_config": {"command": "node", "args": ["${__dirname}/server/index.js"]}},
  "tools": [{"name": "echo", "description": "Echo"}, {"name": "add"}]
}`, fixtureName, fixtureVersion, p)
	if err := os.MkdirAll(filepath.Join(dir, "server"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(manifest), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "server", "index.js"), []byte("console.log('hi')\n"), 0o755); err != nil {
		return err
	}
	var key [32]byte
	key[0], key[1] = byte(seed), byte(size>>20)
	f, err := os.Create(filepath.Join(dir, "server", "payload.bin"))
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, rand.NewChaCha8(key), size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// heapPeak samples the live-plus-unswept heap (what MemStats calls
// HeapAlloc) every millisecond through runtime/metrics, which does not
// stop the world, and keeps the maximum. A client that held a whole
// bundle in memory would show a peak of at least the bundle's size.
type heapPeak struct {
	stop chan struct{}
	done chan struct{}
	max  uint64
}

const heapMetric = "/memory/classes/heap/objects:bytes"

func startHeapPeak() *heapPeak {
	runtime.GC()
	h := &heapPeak{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		s := []metrics.Sample{{Name: heapMetric}}
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			h.max = max(h.max, s[0].Value.Uint64())
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// report stops sampling and reports the peak in MB (10^6 bytes, like
// the MB/s column).
func (h *heapPeak) report(b *testing.B) {
	close(h.stop)
	<-h.done
	b.ReportMetric(float64(h.max)/1e6, "peak-heap-MB")
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
