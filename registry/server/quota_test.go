package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/memory"
	"oras.land/oras-go/v2/registry/remote/errcode"

	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/server"
)

const testQuota = 64 << 10

// quotaMpakd serves an embedded-mode mpakd with a 64 KiB repository quota
// on dataDir and dbPath, and returns its address and a stop function.
func quotaMpakd(t *testing.T, dataDir, dbPath string) (string, func()) {
	t.Helper()
	store, err := sqlite.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.New(context.Background(), server.Options{DataDir: dataDir, Store: store, MaxRepoSize: testQuota,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		store.Close()
	}
	t.Cleanup(stop)
	return ln.Addr().String(), stop
}

// pushBundle pushes name@version, whose bundle carries size incompressible
// bytes, to repository as mpak bundle push does.
func pushBundle(t *testing.T, host, repository, name, version string, size int) error {
	t.Helper()
	filler := make([]byte, size)
	rand.Read(filler)
	plan, err := bundle.Prepare([]bundle.File{{Path: mcpbtest.Pack(t, name, version, string(filler)), Platform: mediatypes.AnyPlatform}}, bundle.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := ref.Parse(host+"/"+repository, ref.Defaults{})
	repo, err := connect.Options{}.Repository(r)
	if err != nil {
		t.Fatal(err)
	}
	_, err = bundle.Push(context.Background(), repo, plan, version, bundle.PushOptions{})
	return err
}

// holdsRE finds what a refusal says the repository holds.
var holdsRE = regexp.MustCompile(`acme/weather holds ([0-9.]+ [A-Za-z]+);`)

// checkRefusal checks err is the quota's refusal and returns what it said
// the repository holds.
func checkRefusal(t *testing.T, err error) string {
	t.Helper()
	var resp *errcode.ErrorResponse
	if !errors.As(err, &resp) || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("want a 403 from the registry, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"denied: acme/weather holds ", "would take it past its 64 KiB quota (mpakd --max-repo-size)", "or raise the quota"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal does not say %q: %s", want, msg)
		}
	}
	m := holdsRE.FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("no size in %s", msg)
	}
	return m[1]
}

func TestQuotaEndToEnd(t *testing.T) {
	ctx := context.Background()
	dataDir, dbPath := t.TempDir(), filepath.Join(t.TempDir(), "index.db")
	host, stop := quotaMpakd(t, dataDir, dbPath)

	// ~25 KiB bundles: two fit in 64 KiB, the third does not.
	var pushed []string
	var refused error
	for i := 1; i <= 5 && refused == nil; i++ {
		version := fmt.Sprintf("1.0.%d", i)
		if refused = pushBundle(t, host, "acme/weather", "weather", version, 25<<10); refused == nil {
			pushed = append(pushed, version)
		}
	}
	if len(pushed) != 2 || refused == nil {
		t.Fatalf("pushed %v before the refusal %v; want 2 versions", pushed, refused)
	}
	t.Logf("mpak's push error: %v", refused)
	checkRefusal(t, refused)
	refusedUploadGone(t, dataDir, refused)

	// Nothing stored is lost: the versions pushed pull, and the catalog
	// lists them and nothing else.
	r, _ := ref.Parse(host+"/acme/weather", ref.Defaults{})
	repo, err := connect.Options{}.Repository(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range pushed {
		if _, err := oras.Copy(ctx, repo, v, memory.New(), v, oras.DefaultCopyOptions); err != nil {
			t.Errorf("pulling %s after the refusal: %v", v, err)
		}
	}
	if _, err := repo.Resolve(ctx, "1.0.3"); err == nil {
		t.Error("the refused version has a tag")
	}
	checkCatalog(t, host, "acme/weather", pushed)

	// Another repository has its own quota.
	if err := pushBundle(t, host, "acme/clock", "clock", "1.0.0", 25<<10); err != nil {
		t.Fatalf("another repository: %v", err)
	}
	checkCatalog(t, host, "acme/clock", []string{"1.0.0"})

	// A chunked upload without Content-Length is cut off past the quota.
	before := uploads(dataDir)
	chunked(t, host)
	if left := slices.DeleteFunc(uploads(dataDir), func(u string) bool { return slices.Contains(before, u) }); len(left) > 0 {
		t.Errorf("the refused chunked upload was left on disk: %v", left)
	}

	// oras, as its users see it.
	orasPush(t, host)

	// A new server on the same storage measures it again. (The refused
	// pushes left small blobs that fitted: each version's config, oras's
	// empty config.)
	// bundle.Push uploads config and layer at once, so whether the first
	// refused attempt's config was stored before the layer was refused is a
	// race: the second attempt measures a settled repository.
	checkRefusal(t, pushBundle(t, host, "acme/weather", "weather", "1.0.3", 25<<10))
	holds := checkRefusal(t, pushBundle(t, host, "acme/weather", "weather", "1.0.3", 25<<10))
	stop()
	host, _ = quotaMpakd(t, dataDir, dbPath)
	err = pushBundle(t, host, "acme/weather", "weather", "1.0.3", 25<<10)
	if again := checkRefusal(t, err); again != holds {
		t.Errorf("after a restart the repository holds %s, before %s", again, holds)
	}
	checkCatalog(t, host, "acme/weather", pushed)
	if err := pushBundle(t, host, "acme/clock", "clock", "1.0.1", 25<<10); err != nil {
		t.Errorf("acme/clock after the restart: %v", err)
	}
}

// refusedUploadGone checks the refused upload was cancelled, not left
// to purge. Only that one: bundle.Push uploads config and layer at once,
// and when the layer is refused it abandons the config's upload midway,
// which the registry keeps for a resume until its upload purge, as
// distribution does for any client that goes away.
func refusedUploadGone(t *testing.T, dataDir string, refused error) {
	t.Helper()
	m := uploadIDRE.FindStringSubmatch(refused.Error())
	if m == nil {
		t.Fatalf("no upload id in %v", refused)
	}
	if slices.Contains(uploads(dataDir), m[1]) {
		t.Errorf("the refused upload %s was left on disk", m[1])
	}
}

var uploadIDRE = regexp.MustCompile(`/blobs/uploads/([0-9a-f-]+)\?`)

// uploads lists the upload sessions acme/weather holds on disk.
func uploads(dataDir string) []string {
	entries, _ := os.ReadDir(filepath.Join(dataDir, "registry", "docker", "registry", "v2", "repositories", "acme", "weather", "_uploads"))
	var ids []string
	for _, e := range entries {
		ids = append(ids, e.Name())
	}
	return ids
}

// checkCatalog checks the catalog API lists exactly versions of
// repository.
func checkCatalog(t *testing.T, host, repository string, versions []string) {
	t.Helper()
	resp, err := http.Get("http://" + host + "/v2/" + repository + "/tags/list")
	if err != nil {
		t.Fatal(err)
	}
	var tags struct{ Tags []string }
	json.NewDecoder(resp.Body).Decode(&tags)
	resp.Body.Close()
	for _, v := range versions {
		if !slices.Contains(tags.Tags, v) {
			t.Errorf("the registry lists %v in %s, without %s", tags.Tags, repository, v)
		}
	}
	name := repository[strings.LastIndex(repository, "/")+1:]
	resp, err = http.Get("http://" + host + "/v1/bundles/search?q=" + url.QueryEscape(name))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("catalog search: %s: %s", resp.Status, body)
	}
	latest := versions[len(versions)-1]
	if !bytes.Contains(body, []byte(`"`+latest+`"`)) {
		t.Errorf("the catalog does not list %s %s: %s", repository, latest, body)
	}
}

// chunked streams a 100 KiB chunk, without Content-Length, into an upload
// to acme/weather, which holds most of its quota.
func chunked(t *testing.T, host string) {
	t.Helper()
	base := "http://" + host
	resp, err := http.Post(base+"/v2/acme/weather/blobs/uploads/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("starting an upload: %s", resp.Status)
	}
	loc := resp.Header.Get("Location")
	if strings.HasPrefix(loc, "/") {
		loc = base + loc
	}
	chunk := make([]byte, 100<<10)
	rand.Read(chunk)
	req, _ := http.NewRequest(http.MethodPatch, loc, io.MultiReader(bytes.NewReader(chunk))) // no length: chunked
	req.Header.Set("Content-Type", "application/octet-stream")
	if req.ContentLength != 0 && req.ContentLength != -1 {
		t.Fatalf("the request declares a length")
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("chunked PATCH: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "DENIED") ||
		!strings.Contains(string(body), "past its 64 KiB quota (mpakd --max-repo-size)") {
		t.Errorf("chunked PATCH past the quota: %s: %s", resp.Status, body)
	}
}

// orasPush pushes a file past the quota with the oras CLI and checks what
// it prints. oras must be installed where CI runs.
func orasPush(t *testing.T, host string) {
	t.Helper()
	bin, err := exec.LookPath("oras")
	if err != nil {
		if home, herr := os.UserHomeDir(); herr == nil {
			if _, serr := os.Stat(filepath.Join(home, "go", "bin", "oras")); serr == nil {
				bin, err = filepath.Join(home, "go", "bin", "oras"), nil
			}
		}
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("oras is not installed (go install oras.land/oras/cmd/oras@latest): the CLI check must run in CI")
		}
		t.Log("oras is not installed: skipping the CLI check")
		return
	}
	dir := t.TempDir()
	big := make([]byte, 70<<10)
	rand.Read(big)
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "push", "--plain-http", host+"/acme/weather:big", "big.bin:application/octet-stream")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+dir, "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	t.Logf("oras push:\n%s", out)
	if err == nil {
		t.Fatal("oras pushed past the quota")
	}
	for _, want := range []string{"denied: acme/weather holds ", "past its 64 KiB quota (mpakd --max-repo-size)"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("oras does not print %q", want)
		}
	}
}

// TestQuotaUpstream: mpakd cannot measure an upstream's repositories, and
// says so rather than pretend.
func TestQuotaUpstream(t *testing.T) {
	u, _ := url.Parse("https://registry.example")
	_, err := server.New(context.Background(), server.Options{Upstream: u, MaxRepoSize: 1 << 30, Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "--max-repo-size") || !strings.Contains(err.Error(), "Harbor") {
		t.Fatalf("want a refusal naming --max-repo-size and the upstream's quotas, got %v", err)
	}
}
