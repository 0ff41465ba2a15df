package quota_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/mpak-oci/mpak/registry/embedded"
	"github.com/mpak-oci/mpak/registry/quota"
)

// counting counts the full measurements the quota asks for.
type counting struct {
	*embedded.Registry
	mu    sync.Mutex
	walks int
}

func (c *counting) Contents(ctx context.Context, repository string) (map[digest.Digest]int64, error) {
	c.mu.Lock()
	c.walks++
	c.mu.Unlock()
	return c.Registry.Contents(ctx, repository)
}

func (c *counting) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.walks
}

type fixture struct {
	t     *testing.T
	reg   *embedded.Registry
	store *counting
	q     *quota.Quota
	url   string
}

func newFixture(t *testing.T, max int64) *fixture {
	t.Helper()
	reg, err := embedded.New(context.Background(), embedded.Options{Dir: t.TempDir(), PurgeAge: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	store := &counting{Registry: reg}
	q := quota.New(quota.Options{Max: max, Storage: store, Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(q.Middleware(reg))
	t.Cleanup(srv.Close)
	return &fixture{t: t, reg: reg, store: store, q: q, url: srv.URL}
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// opaque hides a reader's length, so the request streams it chunked
// without Content-Length.
type opaque struct{ io.Reader }

func (f *fixture) do(method, url string, body io.Reader) *http.Response {
	f.t.Helper()
	if strings.HasPrefix(url, "/") {
		url = f.url + url
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		f.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, url, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp
}

// start POSTs a new upload and returns where to continue it.
func (f *fixture) start(repo string) string {
	f.t.Helper()
	resp := f.do(http.MethodPost, "/v2/"+repo+"/blobs/uploads/", nil)
	if resp.StatusCode != http.StatusAccepted {
		f.t.Fatalf("POST: %s", resp.Status)
	}
	return resp.Header.Get("Location")
}

func withDigest(location string, d digest.Digest) string {
	return location + "&digest=" + d.String()
}

// push uploads data as one blob (POST, then PUT with all of it, as oras
// does) and returns the response to the PUT.
func (f *fixture) push(repo string, data []byte) *http.Response {
	f.t.Helper()
	return f.do(http.MethodPut, withDigest(f.start(repo), digest.FromBytes(data)), bytes.NewReader(data))
}

// denied checks resp is the quota's refusal and returns its message.
func denied(t *testing.T, resp *http.Response) string {
	t.Helper()
	var body struct {
		Errors []struct{ Code, Message string }
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusForbidden || json.Unmarshal(b, &body) != nil || len(body.Errors) != 1 || body.Errors[0].Code != "DENIED" {
		t.Fatalf("want 403 DENIED, got %s: %s", resp.Status, b)
	}
	msg := body.Errors[0].Message
	if !strings.Contains(msg, "--max-repo-size") || !strings.Contains(msg, "quota") {
		t.Errorf("message does not say what to do: %s", msg)
	}
	return msg
}

func TestQuota(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 10_000)
	const repo = "acme/weather"

	first := random(6000)
	if resp := f.push(repo, first); resp.StatusCode != http.StatusCreated {
		t.Fatalf("first blob: %s", resp.Status)
	}
	second := random(6000)
	resp := f.push(repo, second)
	msg := denied(t, resp)
	want := "acme/weather holds 6 kB; this upload (6 kB) would take it past its 10 kB quota (mpakd --max-repo-size): " +
		"yank and ask an administrator to delete old versions, or raise the quota"
	if msg != want {
		t.Errorf("message:\n got %s\nwant %s", msg, want)
	}
	if n, _ := f.reg.BlobSize(ctx, digest.FromBytes(second)); n != 0 {
		t.Error("the refused blob was stored")
	}

	// What the repository holds already is linked again at no cost.
	if resp := f.push(repo, first); resp.StatusCode != http.StatusCreated {
		t.Errorf("pushing a blob the repository holds: %s", resp.Status)
	}
	// Another repository has its own quota.
	if resp := f.push("acme/other", second); resp.StatusCode != http.StatusCreated {
		t.Fatalf("another repository: %s", resp.Status)
	}

	// Chunks: a PATCH counts what the upload holds already.
	loc := f.start(repo)
	resp = f.do(http.MethodPatch, loc, bytes.NewReader(random(3000)))
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("PATCH: %s", resp.Status)
	}
	upload := resp.Header.Get("Docker-Upload-UUID")
	resp = f.do(http.MethodPatch, resp.Header.Get("Location"), bytes.NewReader(random(3000)))
	if !strings.Contains(denied(t, resp), "this upload (6 kB)") {
		t.Error("the refusal does not count the upload's earlier chunks")
	}
	if n, _ := f.reg.UploadSize(ctx, repo, upload); n != 0 {
		t.Errorf("the refused upload still holds %d bytes", n)
	}

	// Streamed without Content-Length: cut off once past the quota.
	loc = f.start(repo)
	upload = uploadID(loc)
	resp = f.do(http.MethodPatch, loc, opaque{bytes.NewReader(random(1 << 20))})
	if msg := denied(t, resp); !strings.Contains(msg, "this upload (over ") {
		t.Errorf("streamed refusal: %s", msg)
	}
	if n, _ := f.reg.UploadSize(ctx, repo, upload); n != 0 {
		t.Errorf("the refused streamed upload still holds %d bytes", n)
	}
	// ...and let through while under it, then counted when completed.
	small := random(1000)
	loc = f.start(repo)
	resp = f.do(http.MethodPatch, loc, opaque{bytes.NewReader(small)})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("small streamed PATCH: %s", resp.Status)
	}
	if resp := f.do(http.MethodPut, withDigest(resp.Header.Get("Location"), digest.FromBytes(small)), nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("completing the streamed upload: %s", resp.Status)
	}
	if n, err := f.q.Size(ctx, repo); n != 7000 || err != nil {
		t.Errorf("Size = %d, %v; want 7000", n, err)
	}

	// Mounting a blob counts as uploading it.
	resp = f.do(http.MethodPost, "/v2/"+repo+"/blobs/uploads/?mount="+digest.FromBytes(second).String()+"&from=acme/other", nil)
	if !strings.Contains(denied(t, resp), "this upload (6 kB)") {
		t.Error("the mount refusal does not name the blob's size")
	}
	resp = f.do(http.MethodPost, "/v2/acme/third/blobs/uploads/?mount="+digest.FromBytes(second).String()+"&from=acme/other", nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("mount within the quota: %s", resp.Status)
	}
	if n, _ := f.q.Size(ctx, "acme/third"); n != 6000 {
		t.Errorf("acme/third after the mount: %d bytes, want 6000", n)
	}

	// Manifests go through whatever the size.
	manifest := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",` +
		`"config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"` + digest.FromBytes(small).String() + `","size":1000},"layers":[]}`)
	req, _ := http.NewRequest(http.MethodPut, f.url+"/v2/"+repo+"/manifests/v1", bytes.NewReader(manifest))
	req.Header.Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("manifest PUT: %v %v", resp.Status, err)
	}

	// The sizes kept up to date from the writes are what a measurement
	// finds, which happened once per repository.
	for _, r := range []string{repo, "acme/other", "acme/third"} {
		fresh := quota.New(quota.Options{Max: 1, Storage: f.reg})
		got, _ := f.q.Size(ctx, r)
		measured, err := fresh.Size(ctx, r)
		if err != nil || got != measured {
			t.Errorf("%s: kept %d bytes, measured %d (%v)", r, got, measured, err)
		}
	}
	if n := f.store.count(); n != 3 {
		t.Errorf("%d measurements for 3 repositories", n)
	}

	// A delete makes it measure again.
	if resp := f.do(http.MethodDelete, "/v2/"+repo+"/manifests/"+digest.FromBytes(manifest).String(), nil); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("DELETE: %s", resp.Status)
	}
	if n, _ := f.q.Size(ctx, repo); n != 7000 {
		t.Errorf("after the delete: %d bytes, want 7000", n)
	}
	if n := f.store.count(); n != 4 {
		t.Errorf("a delete did not make the quota measure again (%d measurements)", n)
	}
}

func uploadID(location string) string {
	p, _, _ := strings.Cut(location, "?")
	return p[strings.LastIndex(p, "/")+1:]
}

// TestQuotaBinaryUnits: a quota set in KiB is reported in KiB.
func TestQuotaBinaryUnits(t *testing.T) {
	f := newFixture(t, 64<<10)
	if resp := f.push("acme/weather", random(48<<10)); resp.StatusCode != http.StatusCreated {
		t.Fatal(resp.Status)
	}
	msg := denied(t, f.push("acme/weather", random(20<<10)))
	if !strings.HasPrefix(msg, "acme/weather holds 48 KiB; this upload (20 KiB) would take it past its 64 KiB quota") {
		t.Error(msg)
	}
}

// fakeStorage holds nothing; the handler behind the quota stands in for
// the registry.
type fakeStorage struct{}

func (fakeStorage) Contents(context.Context, string) (map[digest.Digest]int64, error) {
	return map[digest.Digest]int64{}, nil
}
func (fakeStorage) BlobSize(context.Context, digest.Digest) (int64, error)    { return 0, nil }
func (fakeStorage) UploadSize(context.Context, string, string) (int64, error) { return 0, nil }
func (fakeStorage) CancelUpload(context.Context, string, string) error        { return nil }

// TestQuotaConcurrent: uploads in flight count, so parallel uploads that
// each fit but not together do not both get in.
func TestQuotaConcurrent(t *testing.T) {
	inside, release := make(chan struct{}), make(chan struct{})
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete { // the refused upload, cancelled
			w.WriteHeader(http.StatusNoContent)
			return
		}
		io.Copy(io.Discard, r.Body)
		inside <- struct{}{}
		<-release
		w.WriteHeader(http.StatusCreated)
	})
	q := quota.New(quota.Options{Max: 10_000, Storage: fakeStorage{}, Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(q.Middleware(next))
	defer srv.Close()
	put := func(data []byte) *http.Response {
		req, _ := http.NewRequest(http.MethodPut, srv.URL+"/v2/acme/weather/blobs/uploads/0f2c3b8e-5a41-4c6f-9d2e-7b1a2c3d4e5f?digest="+digest.FromBytes(data).String(), bytes.NewReader(data))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return nil
		}
		return resp
	}
	done := make(chan *http.Response)
	go func() { done <- put(random(6000)) }()
	<-inside
	resp := put(random(6000))
	msg := denied(t, resp)
	if !strings.Contains(msg, "holds 0 B and 6 kB more is being uploaded") {
		t.Errorf("message does not mention the upload in flight: %s", msg)
	}
	close(release)
	if resp := <-done; resp == nil || resp.StatusCode != http.StatusCreated {
		t.Fatal("the first upload failed")
	}
	if n, _ := q.Size(context.Background(), "acme/weather"); n != 6000 {
		t.Errorf("Size = %d after the first upload, want 6000", n)
	}
	// The reservation is gone with its request.
	go func() {
		<-inside
	}()
	if resp := put(random(4000)); resp == nil || resp.StatusCode != http.StatusCreated {
		t.Errorf("an upload that fits: %v", resp.Status)
	}
}

// TestQuotaTTL: sizes are measured again after TTL, catching writes that
// bypass the middleware.
func TestQuotaTTL(t *testing.T) {
	ctx := context.Background()
	reg, err := embedded.New(ctx, embedded.Options{PurgeAge: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	store := &counting{Registry: reg}
	q := quota.New(quota.Options{Max: 1 << 20, Storage: store, TTL: 50 * time.Millisecond})
	if n, _ := q.Size(ctx, "acme/weather"); n != 0 {
		t.Fatal(n)
	}
	// Behind the quota's back.
	srv := httptest.NewServer(reg)
	defer srv.Close()
	f := &fixture{t: t, reg: reg, url: srv.URL}
	if resp := f.push("acme/weather", random(100)); resp.StatusCode != http.StatusCreated {
		t.Fatal(resp.Status)
	}
	if n, _ := q.Size(ctx, "acme/weather"); n != 0 {
		t.Errorf("measured again within TTL: %d", n)
	}
	time.Sleep(60 * time.Millisecond)
	if n, _ := q.Size(ctx, "acme/weather"); n != 100 {
		t.Errorf("not measured again after TTL: %d", n)
	}
	if store.count() != 2 {
		t.Errorf("%d measurements, want 2", store.count())
	}
}

// TestQuotaBadUploadID: an upload ID the registry never made is the
// registry's to answer, not a failure to measure.
func TestQuotaBadUploadID(t *testing.T) {
	f := newFixture(t, 10_000)
	resp := f.do(http.MethodPatch, "/v2/acme/weather/blobs/uploads/not-an-upload?_state=x", bytes.NewReader([]byte("data")))
	if resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusForbidden || resp.StatusCode < 400 {
		t.Errorf("PATCH to an unknown upload: %s", resp.Status)
	}
}
