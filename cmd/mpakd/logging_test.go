package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/internal/testenv"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/crypto/bcrypt"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry/remote"
)

// startLogged runs mpakd as main does, its log going to the returned
// buffer, and stops it when the test ends.
func startLogged(t *testing.T, args ...string) *testenv.Buffer {
	t.Helper()
	logs := &testenv.Buffer{}
	t.Cleanup(startWith(t, logs, args...))
	return logs
}

// jsonLines parses every log line, failing on one that is not JSON.
func jsonLines(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("--log-format json wrote a line that is not JSON: %v\n%s", err, sc.Text())
		}
		out = append(out, m)
	}
	return out
}

// pushImage pushes a plain OCI image (a config and one layer, as a
// container image has) and tags it.
func pushImage(ctx context.Context, repo *remote.Repository, tags ...string) error {
	layer, err := oras.PushBytes(ctx, repo, ocispec.MediaTypeImageLayer, []byte("not a bundle"))
	if err != nil {
		return err
	}
	config, err := oras.PushBytes(ctx, repo, ocispec.MediaTypeImageConfig, []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`))
	if err != nil {
		return err
	}
	m, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, "", oras.PackManifestOptions{ConfigDescriptor: &config, Layers: []ocispec.Descriptor{layer},
		ManifestAnnotations: map[string]string{ocispec.AnnotationCreated: "2026-01-01T00:00:00Z"}})
	if err != nil {
		return err
	}
	for _, tag := range tags {
		if err := repo.Tag(ctx, m, tag); err != nil {
			return err
		}
	}
	return nil
}

func metric(t *testing.T, addr, series string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// A container image in the registry is normal: pushing one logs no error,
// is counted, and is mentioned at debug level only. The log is JSON lines
// with --log-format json, with an access log line per request.
func TestPlainImagePushLogsNoError(t *testing.T) {
	addr := freeAddr(t)
	logs := startLogged(t, "--data", t.TempDir(), "--log-level", "debug", "--log-format", "json", "--addr", addr)
	repo, err := remote.NewRepository(addr + "/library/alpine")
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	// A semver tag too: a bundle version's tag holding an image is still
	// just an image.
	if err := pushImage(context.Background(), repo, "1.0.0", "latest"); err != nil {
		t.Fatalf("pushing an image: %v", err)
	}
	if got := metric(t, addr, `mpakd_pushed_manifests_total{kind="other"}`); got != "2" {
		t.Errorf(`mpakd_pushed_manifests_total{kind="other"} = %q, want 2`, got)
	}
	var debug, access int
	for _, l := range jsonLines(t, logs.String()) {
		if l["level"] == "ERROR" {
			t.Errorf("error logged for a plain image push: %v", l)
		}
		if l["level"] == "DEBUG" && strings.Contains(l["msg"].(string), "not an MCP bundle") && l["repository"] == "library/alpine" {
			debug++
		}
		if l["level"] == "INFO" && l["msg"] == "request" && l["method"] == http.MethodPut && l["status"] == float64(http.StatusCreated) &&
			(l["path"] == "/v2/library/alpine/manifests/1.0.0" || l["path"] == "/v2/library/alpine/manifests/latest") && l["remote"] != nil && l["duration"] != nil && l["bytes"] != nil {
			access++
		}
	}
	if debug != 2 || access != 2 {
		t.Errorf("%d debug lines about the image, %d access log lines of its manifest PUTs; want 2 each\n%s", debug, access, logs)
	}
}

// A storage failure answers 500, and the log says why: the request's line
// at error level with the registry's cause.
func TestStorageFailureIsLogged(t *testing.T) {
	addr := freeAddr(t)
	data := t.TempDir()
	logs := startLogged(t, "--data", data, "--access-log=false", "--addr", addr)
	// A real fault, as root too: a file where the registry needs its
	// repository directory.
	repos := filepath.Join(data, "registry", "docker", "registry", "v2", "repositories")
	if err := os.MkdirAll(repos, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repos, "broken"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+addr+"/v2/broken/x/blobs/uploads/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 500 {
		t.Fatalf("upload into a broken repository directory: %d, want a 5xx", resp.StatusCode)
	}
	var failed bool
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, "level=ERROR") && strings.Contains(line, `msg="request failed"`) && strings.Contains(line, "path=/v2/broken/x/blobs/uploads/") &&
			strings.Contains(line, "status=500") && strings.Contains(line, "not a directory") {
			failed = true
		}
		if strings.Contains(line, "level=INFO") && strings.Contains(line, `msg=request `) {
			t.Errorf("--access-log=false logged a request: %s", line)
		}
	}
	if !failed {
		t.Errorf("no error line with the cause of the 500:\n%s", logs)
	}
}

func TestLogFlagsRefuseNonsense(t *testing.T) {
	for _, args := range [][]string{{"--log-level", "loud"}, {"--log-format", "xml"}} {
		cmd := rootCommand()
		cmd.SetArgs(append(args, "--data", t.TempDir(), "--addr", freeAddr(t)))
		err := cmd.ExecuteContext(context.Background())
		if err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("%v: %v, want a refusal naming the flag", args, err)
		}
	}
}

// The access log names the user a request authenticated as, with Basic
// credentials and with a token from the token endpoint.
func TestAccessLogNamesTheUser(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	users := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(users, []byte("alice:"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	logs := startLogged(t, "--data", t.TempDir(), "--auth-htpasswd", users, "--log-format", "json", "--addr", addr)
	get := func(path, authorization string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		req.Header.Set("Authorization", authorization)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))
	resp := get("/v2/", basic)
	resp.Body.Close()
	resp = get("/token?scope=repository:acme/x:pull", basic)
	var tok struct {
		Token string `json:"token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if tok.Token == "" {
		t.Fatalf("no token: %d", resp.StatusCode)
	}
	resp = get("/v2/acme/x/tags/list", "Bearer "+tok.Token)
	resp.Body.Close()
	seen := map[string]any{}
	for _, l := range jsonLines(t, logs.String()) {
		if l["msg"] == "request" {
			seen[l["path"].(string)] = l["user"]
		}
	}
	for _, p := range []string{"/v2/", "/token", "/v2/acme/x/tags/list"} {
		if seen[p] != "alice" {
			t.Errorf("access log of %s: user %v, want alice\n%s", p, seen[p], logs)
		}
	}
}
