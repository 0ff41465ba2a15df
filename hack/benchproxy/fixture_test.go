package benchproxy

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
)

// repository is where the fixture bundle lives, in both registries.
const repository = "bench/big"

// process is a running mpakd.
type process struct {
	cmd  *exec.Cmd
	addr string
}

// buildMpakd compiles cmd/mpakd into dir.
func buildMpakd(tb testing.TB, dir string) string {
	tb.Helper()
	bin := filepath.Join(dir, "mpakd")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/mpakd")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build ./cmd/mpakd: %v\n%s", err, out)
	}
	return bin
}

// startMpakd runs bin with args on addr (a free loopback port when empty)
// and waits for /healthz; the process is killed when the test ends. With
// netns set it runs in that network namespace (`ip netns exec` execs bin,
// so the process is mpakd's own).
func startMpakd(tb testing.TB, netns, bin, addr string, args ...string) *process {
	tb.Helper()
	if addr == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		addr = ln.Addr().String()
		ln.Close()
	}
	argv := append([]string{bin, "serve", "--addr", addr}, args...)
	if netns != "" {
		argv = append([]string{"ip", "netns", "exec", netns}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	// Its log is shown only when it fails to start.
	logPath := filepath.Join(tb.TempDir(), "mpakd.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return &process{cmd: cmd, addr: addr}
			}
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(logPath)
			tb.Fatalf("%v did not become healthy at %s: %v\n%s", argv, addr, err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// bigBundle writes a valid .mcpb of about size bytes: manifest.json, the
// server, and a payload of seeded random bytes, stored rather than
// deflated (random bytes do not compress, and deflating a gigabyte would
// dominate the set-up).
func bigBundle(tb testing.TB, dir string, size int64) string {
	tb.Helper()
	path := filepath.Join(dir, fmt.Sprintf("big-%d.mcpb", size))
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	write := func(name string, r io.Reader) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := io.Copy(w, r); err != nil {
			tb.Fatal(err)
		}
	}
	write("manifest.json", strings.NewReader(mcpbtest.Manifest("big", "1.0.0")))
	write("server/index.js", strings.NewReader("// stands in for a server\n"))
	write("server/payload.bin", io.LimitReader(rand.NewChaCha8([32]byte{1}), size))
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// publish pushes file as repository 1.0.0 to the registry at host and
// returns the layer's digest and size.
func publish(tb testing.TB, host, file string) (digest string, size int64) {
	tb.Helper()
	plan, err := bundle.Prepare([]bundle.File{{Path: file, Platform: mediatypes.AnyPlatform}}, bundle.PrepareOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	r, err := ref.Parse(host+"/"+repository, ref.Defaults{})
	if err != nil {
		tb.Fatal(err)
	}
	repo, err := connect.Options{}.Repository(r)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := bundle.Push(context.Background(), repo, plan, "1.0.0", bundle.PushOptions{}); err != nil {
		tb.Fatal(err)
	}
	layer := plan.Builds[0].Layer
	return layer.Digest.String(), layer.Size
}
