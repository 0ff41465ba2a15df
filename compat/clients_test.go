package compat

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/internal/testenv"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/referrer"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/server"
)

// tool finds a third-party CLI (.ci/run installs them with go install);
// without it the test fails in CI and skips loudly elsewhere.
func tool(t *testing.T, name, module string) string {
	t.Helper()
	return testenv.Tool(t, name+" is not installed: what it reads of mpak's layout is UNTESTED here; install it with\n  (cd / && GOFLAGS= go install "+module+")", name)
}

func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestThirdPartyClients: oras, crane and regctl read what mpak writes to
// the embedded mpakd: the platform build, the tags, the index, and the
// referrers through the API.
func TestThirdPartyClients(t *testing.T) {
	oras := tool(t, "oras", "oras.land/oras/cmd/oras@v1.3.0")
	crane := tool(t, "crane", "github.com/google/go-containerregistry/cmd/crane@v0.20.7")
	regctl := tool(t, "regctl", "github.com/regclient/regclient/cmd/regctl@v0.11.7")
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv("HOME", t.TempDir()) // regctl keeps its registry settings there

	store, err := sqlite.Open(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(context.Background(), server.Options{DataDir: t.TempDir(), Store: store, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		store.Close()
	})
	host := ln.Addr().String()
	p := publish(t, host, "acme/weather")
	scanRef, err := referrer.Attach(context.Background(), p.repo, p.plan.Index, referrer.Artifact{ArtifactType: mediatypes.Scan,
		Blobs: []referrer.Blob{{MediaType: mediatypes.Scan, Data: []byte(`{"level":1}`)}}}, referrer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ref := host + "/acme/weather:1.0.0"

	t.Run("oras pull --platform", func(t *testing.T) {
		dir := t.TempDir()
		run(t, oras, "pull", "--plain-http", "--platform", "linux/amd64", "-o", dir, ref)
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 || !strings.HasSuffix(entries[0].Name(), ".mcpb") || fileSHA(t, filepath.Join(dir, entries[0].Name())) != fileSHA(t, p.files["linux/amd64"]) {
			t.Errorf("oras pulled %v, want the linux/amd64 .mcpb", entries)
		}
	})
	t.Run("oras discover", func(t *testing.T) {
		out := run(t, oras, "discover", "--plain-http", "--format", "json", ref)
		if !strings.Contains(out, scanRef.Digest.String()) || !strings.Contains(out, mediatypes.Scan) {
			t.Errorf("oras discover does not list the scan report %s:\n%s", scanRef.Digest, out)
		}
	})
	t.Run("crane ls and manifest", func(t *testing.T) {
		if out := run(t, crane, "ls", "--insecure", host+"/acme/weather"); !strings.Contains(out, "1.0.0") {
			t.Errorf("crane ls: %s", out)
		}
		var idx struct {
			ArtifactType string `json:"artifactType"`
			Manifests    []struct {
				Platform struct{ OS, Architecture string } `json:"platform"`
			} `json:"manifests"`
		}
		if err := json.Unmarshal([]byte(run(t, crane, "manifest", "--insecure", ref)), &idx); err != nil || idx.ArtifactType != mediatypes.ArtifactType || len(idx.Manifests) != 2 {
			t.Errorf("crane manifest: %+v (%v)", idx, err)
		}
	})
	t.Run("regctl artifact list --refers", func(t *testing.T) {
		run(t, regctl, "registry", "set", "--tls", "disabled", host)
		out := run(t, regctl, "artifact", "list", "--format", "{{jsonPretty .}}", ref)
		if !strings.Contains(out, scanRef.Digest.String()) {
			t.Errorf("regctl artifact list does not list the scan report:\n%s", out)
		}
	})
}
