package benchcli

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/internal/testenv"
	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/registry/embedded"
)

// peer is one side of a comparison: how to start one timed process in a
// fresh directory.
type peer struct {
	name string
	cmd  func(dir string) *exec.Cmd
}

// run times one process from fork to exit; it must succeed.
func run(b *testing.B, cmd *exec.Cmd) time.Duration {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out.String())
	}
	return time.Since(start)
}

// peakRSS runs cmd once more, untimed, under GNU time for its peak
// resident set in MB. (The rusage of a child Go starts reports the test
// binary's own peak: Go forks with CLONE_VM and Linux carries the old
// address space's high-water mark across exec.) 0 without /usr/bin/time.
func peakRSS(b *testing.B, cmd *exec.Cmd) float64 {
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		b.Log("no /usr/bin/time: peak RSS not measured")
		return 0
	}
	report := filepath.Join(b.TempDir(), "rss")
	cmd.Args = append([]string{"/usr/bin/time", "-f", "%M", "-o", report}, cmd.Args...)
	cmd.Path = "/usr/bin/time"
	run(b, cmd)
	raw, err := os.ReadFile(report)
	if err != nil {
		b.Fatal(err)
	}
	var kib float64
	if _, err := fmt.Sscan(strings.TrimSpace(string(raw)), &kib); err != nil {
		b.Fatalf("GNU time wrote %q", raw)
	}
	return kib / 1024
}

// compare runs a and b b.N times each, alternating which goes first, and
// reports each side's median wall time and peak RSS and the ratio of the
// medians (a / b).
func compare(bm *testing.B, a, b peer) {
	bm.Helper()
	samples := map[string][]time.Duration{}
	bm.ResetTimer()
	for i := range bm.N {
		order := []peer{a, b}
		if i%2 == 1 {
			order = []peer{b, a}
		}
		for _, p := range order {
			dir := bm.TempDir()
			samples[p.name] = append(samples[p.name], run(bm, p.cmd(dir)))
		}
	}
	bm.StopTimer()
	ma, mb := median(samples[a.name]), median(samples[b.name])
	bm.ReportMetric(ms(ma), a.name+"-ms")
	bm.ReportMetric(ms(mb), b.name+"-ms")
	bm.ReportMetric(float64(ma)/float64(mb), "ratio")
	bm.ReportMetric(peakRSS(bm, a.cmd(bm.TempDir())), a.name+"-rss-MB")
	bm.ReportMetric(peakRSS(bm, b.cmd(bm.TempDir())), b.name+"-rss-MB")
	bm.ReportMetric(0, "ns/op") // the per-peer medians are the figures
}

func median(s []time.Duration) time.Duration {
	s = slices.Clone(s)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// fixture is the built binaries and a registry with a two-platform
// version of 20 MiB per build.
type fixture struct {
	dir, mpak, trust, host string
	env                    []string
}

var shared *fixture

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

func setup(b *testing.B) *fixture {
	b.Helper()
	if shared != nil {
		return shared
	}
	// Shared by every benchmark of the process, so not b.TempDir (removed
	// when the first benchmark ends); TestMain removes it.
	dir, err := os.MkdirTemp("", "mpak-benchcli-")
	if err != nil {
		b.Fatal(err)
	}
	f := &fixture{dir: dir, mpak: filepath.Join(dir, "mpak"), trust: filepath.Join(dir, "mpak-trust")}
	for pkg, out := range map[string]string{"../../cmd/mpak": f.mpak, "../../cmd/mpak-trust": f.trust} {
		cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if o, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", pkg, err, o)
		}
	}
	reg, err := embedded.New(context.Background(), embedded.Options{Dir: filepath.Join(dir, "registry")})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(reg) // lives as long as the process
	f.host = strings.TrimPrefix(srv.URL, "http://")
	f.env = append(os.Environ(), "MPAK_CONFIG="+filepath.Join(dir, "config.json"), "DOCKER_CONFIG="+dir)
	var files []bundle.File
	for _, p := range []string{"linux/amd64", "darwin/arm64"} {
		pl, err := mediatypes.ParsePlatform(p)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, bundle.File{Path: pack(b, dir, p), Platform: pl})
	}
	plan, err := bundle.Prepare(files, bundle.PrepareOptions{})
	if err != nil {
		b.Fatal(err)
	}
	r, _ := ref.Parse(f.host+"/bench/weather", ref.Defaults{})
	repo, err := connect.Options{}.Repository(r)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := bundle.Push(context.Background(), repo, plan, "1.0.0", bundle.PushOptions{}); err != nil {
		b.Fatal(err)
	}
	shared = f
	return f
}

// pack makes a 20 MiB incompressible bundle for platform p.
func pack(b *testing.B, dir, p string) string {
	src := filepath.Join(dir, "src-"+strings.ReplaceAll(p, "/", "-"))
	if err := os.MkdirAll(filepath.Join(src, "server"), 0o755); err != nil {
		b.Fatal(err)
	}
	manifest := fmt.Sprintf(`{"manifest_version":"0.3","name":"weather","version":"1.0.0","description":"weather for %s",
"author":{"name":"bench"},"server":{"type":"node","entry_point":"server/index.js","mcp_config":{"command":"node","args":["${__dirname}/server/index.js"]}}}`, p)
	payload := make([]byte, 20<<20)
	rand.Read(payload)
	for name, data := range map[string][]byte{"manifest.json": []byte(manifest), "server/index.js": []byte("console.log(1)\n"), "server/payload.bin": payload} {
		if err := os.WriteFile(filepath.Join(src, name), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	out := filepath.Join(dir, "weather-"+strings.ReplaceAll(p, "/", "-")+".mcpb")
	if _, err := mcpb.PackFile(src, out, mcpb.PackOptions{}); err != nil {
		b.Fatal(err)
	}
	return out
}

func (f *fixture) command(dir, bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(slices.Clip(f.env), "MPAK_CACHE="+filepath.Join(dir, "cache"))
	return cmd
}

// BenchmarkVersion: the start-up alone, mpak against crane (both
// go-containerregistry-sized Go CLIs) and mpak-trust, which links what
// mpak did before the signing and scanning stacks moved out.
func BenchmarkVersion(b *testing.B) {
	f := setup(b)
	crane := testenv.Tool(b, "crane is not installed: go install github.com/google/go-containerregistry/cmd/crane@v0.20.7", "crane")
	mpak := peer{"mpak", func(dir string) *exec.Cmd { return f.command(dir, f.mpak, "version") }}
	b.Run("crane", func(b *testing.B) {
		compare(b, mpak, peer{"crane", func(dir string) *exec.Cmd { return f.command(dir, crane, "version") }})
	})
	b.Run("mpak-trust", func(b *testing.B) {
		compare(b, mpak, peer{"mpak-trust", func(dir string) *exec.Cmd { return f.command(dir, f.trust, "version") }})
	})
}

// BenchmarkPullCold: the linux/amd64 build of a two-platform version (20
// MiB) into a new directory, with an empty cache, through the CLIs.
func BenchmarkPullCold(b *testing.B) {
	f := setup(b)
	oras := testenv.Tool(b, "oras is not installed: go install oras.land/oras/cmd/oras@v1.3.0", "oras")
	ref := f.host + "/bench/weather:1.0.0"
	compare(b,
		peer{"mpak", func(dir string) *exec.Cmd {
			return f.command(dir, f.mpak, "bundle", "pull", "-q", ref, "--platform", "linux/amd64", "-o", dir)
		}},
		peer{"oras", func(dir string) *exec.Cmd {
			return f.command(dir, oras, "pull", "--plain-http", "--platform", "linux/amd64", "-o", dir, ref)
		}})
}
