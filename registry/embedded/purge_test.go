package embedded

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/internal/testenv"

	"github.com/opencontainers/go-digest"
)

// startUpload POSTs an upload and PATCHes data into it, leaving it
// unfinished as an interrupted push would, and returns its ID and the URL
// to continue it at.
func startUpload(t *testing.T, base, repository string, data []byte) (id, location string) {
	t.Helper()
	resp, err := http.Post(base+"/v2/"+repository+"/blobs/uploads/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST upload: %s", resp.Status)
	}
	req, _ := http.NewRequest(http.MethodPatch, absolute(base, resp.Header.Get("Location")), bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("PATCH upload: %s", resp.Status)
	}
	return resp.Header.Get("Docker-Upload-UUID"), absolute(base, resp.Header.Get("Location"))
}

// finishUpload PUTs the last chunk of an upload, completing it as blob d.
func finishUpload(t *testing.T, location string, d digest.Digest, last []byte) {
	t.Helper()
	sep := "?"
	if strings.Contains(location, "?") {
		sep = "&"
	}
	req, _ := http.NewRequest(http.MethodPut, location+sep+"digest="+d.String(), bytes.NewReader(last))
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT upload: %s", resp.Status)
	}
}

func absolute(base, location string) string {
	if strings.HasPrefix(location, "/") {
		return base + location
	}
	return location
}

func uploadsDir(dir, repository string) string {
	return filepath.Join(dir, "registry", "docker", "registry", "v2", "repositories", repository, "_uploads")
}

// backdate makes an upload look started ago, as distribution reads it.
func backdate(t *testing.T, dir, repository, id string, ago time.Duration) {
	t.Helper()
	at := time.Now().Add(-ago).UTC().Format(time.RFC3339)
	if err := os.WriteFile(filepath.Join(uploadsDir(dir, repository), id, "startedat"), []byte(at), 0o644); err != nil {
		t.Fatal(err)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func TestPurgeUploads(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	reg, err := New(ctx, Options{Dir: dir, PurgeAge: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	srv := httptest.NewServer(reg)
	defer srv.Close()
	const repo = "acme/weather"

	if n, err := reg.PurgeUploads(ctx, time.Hour); n != 0 || err != nil {
		t.Fatalf("purging an empty registry: %d, %v", n, err)
	}

	stale, _ := startUpload(t, srv.URL, repo, bytes.Repeat([]byte("s"), 4096))
	if !exists(filepath.Join(uploadsDir(dir, repo), stale, "data")) {
		t.Fatalf("the unfinished upload is not in %s", uploadsDir(dir, repo))
	}
	if n, err := reg.UploadSize(ctx, repo, stale); n != 4096 || err != nil {
		t.Fatalf("UploadSize = %d, %v; want 4096", n, err)
	}
	backdate(t, dir, repo, stale, 7*time.Hour)

	blob := []byte("a completed blob")
	_, loc := startUpload(t, srv.URL, repo, blob[:5])
	finishUpload(t, loc, digest.FromBytes(blob), blob[5:])

	fresh, freshLoc := startUpload(t, srv.URL, repo, []byte("fresh"))

	n, err := reg.PurgeUploads(ctx, 6*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("PurgeUploads = %d, %v; want 1 purged", n, err)
	}
	if exists(filepath.Join(uploadsDir(dir, repo), stale)) {
		t.Error("the stale upload is still there")
	}
	if !exists(filepath.Join(uploadsDir(dir, repo), fresh, "data")) {
		t.Error("the fresh upload was purged")
	}
	if size, err := reg.BlobSize(ctx, digest.FromBytes(blob)); size != int64(len(blob)) || err != nil {
		t.Errorf("completed blob: size %d, %v", size, err)
	}
	// The fresh upload can still be completed, and the completed blob read.
	rest := []byte(" and finished")
	finishUpload(t, freshLoc, digest.FromBytes(append([]byte("fresh"), rest...)), rest)
	resp, err := http.Get(srv.URL + "/v2/" + repo + "/blobs/" + digest.FromBytes(blob).String())
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, blob) {
		t.Errorf("completed blob reads %q", got)
	}
}

// TestPurgeRemnants: distribution leaves a directory behind an upload
// cancelled with DELETE, without the startedat its purger goes by.
func TestPurgeRemnants(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	reg, err := New(ctx, Options{Dir: dir, PurgeAge: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	srv := httptest.NewServer(reg)
	defer srv.Close()
	const repo = "acme/weather"
	id, loc := startUpload(t, srv.URL, repo, []byte("cancelled"))
	req, _ := http.NewRequest(http.MethodDelete, loc, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE upload: %s", resp.Status)
	}
	remnant := filepath.Join(uploadsDir(dir, repo), id)
	if !exists(remnant) {
		t.Skip("distribution no longer leaves a remnant of a cancelled upload")
	}
	if n, err := reg.PurgeUploads(ctx, time.Hour); n != 0 || err != nil || !exists(remnant) {
		t.Fatalf("a fresh remnant was purged: %d, %v", n, err)
	}
	old := time.Now().Add(-2 * time.Hour)
	filepath.Walk(remnant, func(p string, _ os.FileInfo, _ error) error { return os.Chtimes(p, old, old) })
	if n, err := reg.PurgeUploads(ctx, time.Hour); n != 1 || err != nil {
		t.Fatalf("PurgeUploads = %d, %v; want the remnant purged", n, err)
	}
	if exists(remnant) {
		t.Error("the remnant is still there")
	}
}

// TestPurgeUploadsTiming measures a purge of many uploads over many
// repositories, for the record (go test -v).
func TestPurgeUploadsTiming(t *testing.T) {
	if testing.Short() {
		t.Skip("creates hundreds of uploads")
	}
	ctx := context.Background()
	dir := t.TempDir()
	reg, err := New(ctx, Options{Dir: dir, PurgeAge: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	srv := httptest.NewServer(reg)
	defer srv.Close()
	const repos, each = 20, 10
	for i := range repos {
		repo := fmt.Sprintf("acme/server-%d", i)
		for range each {
			id, _ := startUpload(t, srv.URL, repo, bytes.Repeat([]byte("x"), 1024))
			backdate(t, dir, repo, id, 7*time.Hour)
		}
	}
	start := time.Now()
	n, err := reg.PurgeUploads(ctx, 6*time.Hour)
	took := time.Since(start)
	if err != nil || n != repos*each {
		t.Fatalf("PurgeUploads = %d, %v; want %d", n, err, repos*each)
	}
	t.Logf("purged %d uploads in %d repositories in %v", n, repos, took)
	start = time.Now()
	if n, err := reg.PurgeUploads(ctx, 6*time.Hour); n != 0 || err != nil {
		t.Fatalf("second purge: %d, %v", n, err)
	}
	t.Logf("a purge finding nothing in %d repositories took %v", repos, time.Since(start))
}

// TestPurgeLoop checks the scheduled purge: it runs soon after start,
// logs what it purged, and stops with Close.
func TestPurgeLoop(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const repo = "acme/weather"

	first, err := New(ctx, Options{Dir: dir, PurgeAge: -1})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(first)
	id, _ := startUpload(t, srv.URL, repo, []byte("interrupted"))
	srv.Close()
	first.Close()
	backdate(t, dir, repo, id, 2*time.Hour)

	var logs testenv.Buffer
	reg, err := New(ctx, Options{Dir: dir, PurgeAge: time.Hour, PurgeInterval: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for exists(filepath.Join(uploadsDir(dir, repo), id)) {
		if time.Now().After(deadline) {
			t.Fatal("the scheduled purge did not delete the stale upload")
		}
		time.Sleep(20 * time.Millisecond)
	}
	closed := make(chan error)
	go func() { closed <- reg.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not stop the purge loop")
	}
	if !strings.Contains(logs.String(), "purged unfinished uploads") || !strings.Contains(logs.String(), "purged=1") {
		t.Errorf("the purge was not logged:\n%s", logs.String())
	}
	if err := reg.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestStorage checks what the quota reads: a repository's distinct blobs
// and manifests with their sizes, in memory as on disk.
func TestStorage(t *testing.T) {
	for name, dir := range map[string]string{"inmemory": "", "filesystem": t.TempDir()} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			reg, err := New(ctx, Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer reg.Close()
			srv := httptest.NewServer(reg)
			defer srv.Close()
			const repo = "acme/weather"
			if c, err := reg.Contents(ctx, repo); err != nil || len(c) != 0 {
				t.Fatalf("Contents of a repository never pushed to: %v, %v", c, err)
			}
			config := []byte("{}")
			layer := bytes.Repeat([]byte("l"), 1000)
			for _, b := range [][]byte{config, layer} {
				_, loc := startUpload(t, srv.URL, repo, b)
				finishUpload(t, loc, digest.FromBytes(b), nil)
			}
			manifest := fmt.Appendf(nil, `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
				`"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":%q,"size":2},`+
				`"layers":[{"mediaType":"application/octet-stream","digest":%q,"size":1000}]}`, digest.FromBytes(config), digest.FromBytes(layer))
			req, _ := http.NewRequest(http.MethodPut, srv.URL+"/v2/"+repo+"/manifests/v1", bytes.NewReader(manifest))
			req.Header.Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("PUT manifest: %s", resp.Status)
			}
			// An unfinished upload is not the repository's yet.
			id, _ := startUpload(t, srv.URL, repo, []byte("pending"))

			c, err := reg.Contents(ctx, repo)
			if err != nil {
				t.Fatal(err)
			}
			want := map[digest.Digest]int64{digest.FromBytes(config): 2, digest.FromBytes(layer): 1000, digest.FromBytes(manifest): int64(len(manifest))}
			if len(c) != len(want) {
				t.Fatalf("Contents = %v, want %v", c, want)
			}
			for d, n := range want {
				if c[d] != n {
					t.Errorf("Contents[%s] = %d, want %d", d, c[d], n)
				}
			}
			if n, err := reg.UploadSize(ctx, repo, id); n != 7 || err != nil {
				t.Errorf("UploadSize = %d, %v", n, err)
			}
			if err := reg.CancelUpload(ctx, repo, id); err != nil {
				t.Fatal(err)
			}
			if n, err := reg.UploadSize(ctx, repo, id); n != 0 || err != nil {
				t.Errorf("UploadSize after CancelUpload = %d, %v", n, err)
			}
			for _, bad := range []string{"acme/../../etc", "../x", "Acme"} {
				if _, err := reg.Contents(ctx, bad); err == nil {
					t.Errorf("Contents(%q) did not refuse the name", bad)
				}
			}
			if err := reg.CancelUpload(ctx, repo, "../../x"); err == nil {
				t.Error("CancelUpload took a path as an upload ID")
			}
		})
	}
}
