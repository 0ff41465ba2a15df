package stats

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/embedded"
)

// startRegistry serves the embedded registry (in memory) behind h's
// middleware and returns the server.
func startRegistry(t *testing.T, wrap func(http.Handler) http.Handler) (*httptest.Server, *embedded.Registry) {
	t.Helper()
	reg, err := embedded.New(context.Background(), embedded.Options{})
	must(t, err)
	srv := httptest.NewServer(wrap(reg))
	t.Cleanup(func() {
		srv.Close()
		reg.Close()
	})
	return srv, reg
}

func remoteRepo(t testing.TB, srv *httptest.Server, name string) *remote.Repository {
	t.Helper()
	repo, err := remote.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/" + name)
	must(t, err)
	repo.PlainHTTP = true
	return repo
}

func pushBlob(t testing.TB, repo *remote.Repository, mediaType string, data []byte) ocispec.Descriptor {
	t.Helper()
	desc := content.NewDescriptorFromBytes(mediaType, data)
	must(t, repo.Push(context.Background(), desc, bytes.NewReader(data)))
	return desc
}

// do sends a request, reads the whole body and returns the response.
func do(t testing.TB, method, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	must(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp, body
}

// TestMiddlewareCountsDownloads runs the definition of a download against
// the real embedded registry: each request is checked for its status and
// for whether it was counted, then the Store's numbers after a flush.
func TestMiddlewareCountsDownloads(t *testing.T) {
	store := openStore(t, "")
	clk := newClock(day1)
	c, _ := openCounter(t, Options{Store: store, Now: clk.Now})
	srv, _ := startRegistry(t, c.Middleware)
	repo := remoteRepo(t, srv, fixtureRepo)

	linuxData := []byte("linux bundle: 0123456789abcdefghijklmnopqrstuvwxyz")
	darwinData := []byte("darwin bundle: 0123456789abcdefghijklmnopqrstuvwxyz")
	linuxDesc := pushBlob(t, repo, mediatypes.Bundle, linuxData)
	darwinDesc := pushBlob(t, repo, mediatypes.Bundle, darwinData)
	config := pushBlob(t, repo, mediatypes.Config, []byte(`{"name":"weather","version":"1.0.0"}`))
	manifest, err := oras.PackManifest(context.Background(), repo, oras.PackManifestVersion1_1, mediatypes.ArtifactType,
		oras.PackManifestOptions{Layers: []ocispec.Descriptor{linuxDesc}, ConfigDescriptor: &config})
	must(t, err)
	putVersion(t, store, fixtureRepo, fixtureVersion, linux, linuxDesc.Digest.String(), darwin, darwinDesc.Digest.String())
	wantPending(t, c, 0) // pushing downloads nothing

	blobs := srv.URL + "/v2/" + fixtureRepo + "/blobs/"
	pending := 0
	for _, tc := range []struct {
		name    string
		method  string
		url     string
		header  []string
		status  int
		counted bool
	}{
		{"GET", "GET", blobs + linuxDesc.Digest.String(), nil, 200, true},
		{"HEAD", "HEAD", blobs + linuxDesc.Digest.String(), nil, 200, false},
		{"range from 0", "GET", blobs + linuxDesc.Digest.String(), []string{"Range", "bytes=0-9"}, 206, false},
		{"range continuation", "GET", blobs + linuxDesc.Digest.String(), []string{"Range", "bytes=10-"}, 206, true},
		{"config blob", "GET", blobs + config.Digest.String(), nil, 200, false},
		{"manifest", "GET", srv.URL + "/v2/" + fixtureRepo + "/manifests/" + manifest.Digest.String(),
			[]string{"Accept", ocispec.MediaTypeImageManifest}, 200, false},
		{"unknown blob", "GET", blobs + digest.FromString("nothing").String(), nil, 404, false},
		{"other repository", "GET", srv.URL + "/v2/acme/other/blobs/" + linuxDesc.Digest.String(), nil, 404, false},
	} {
		resp, body := do(t, tc.method, tc.url, tc.header...)
		if resp.StatusCode != tc.status {
			t.Fatalf("%s: status %d, want %d: %s", tc.name, resp.StatusCode, tc.status, body)
		}
		if tc.name == "range from 0" && (resp.Header.Get("Content-Range") != fmt.Sprintf("bytes 0-9/%d", len(linuxData)) || string(body) != string(linuxData[:10])) {
			t.Fatalf("%s: Content-Range %q, body %q", tc.name, resp.Header.Get("Content-Range"), body)
		}
		if tc.name == "GET" && !bytes.Equal(body, linuxData) {
			t.Fatalf("GET returned %q, want the blob", body)
		}
		if tc.counted {
			pending++
		}
		if got := c.Pending(); got != pending {
			t.Fatalf("%s: Pending() = %d, want %d", tc.name, got, pending)
		}
	}

	// The next day, two downloads of the other build.
	clk.set(day2)
	for range 2 {
		if resp, _ := do(t, "GET", blobs+darwinDesc.Digest.String()); resp.StatusCode != 200 {
			t.Fatalf("GET darwin: status %d", resp.StatusCode)
		}
	}
	wantPending(t, c, 4)
	wantStats(t, store, fixtureRepo, 0, nil, nil) // batched: nothing in the Store before a flush

	must(t, c.Flush(context.Background()))
	wantPending(t, c, 0)
	wantStats(t, store, fixtureRepo, 4,
		map[string]int64{fixtureVersion: 4},
		map[string]int64{linux: 2, darwin: 2},
		catalog.DayCount{Day: catalog.Day(day1), Count: 2}, catalog.DayCount{Day: catalog.Day(day2), Count: 2})

	// The marker row never surfaces as a bundle.
	res, err := store.Search(context.Background(), catalog.Query{Sort: catalog.SortDownloads})
	must(t, err)
	if res.Total != 1 || res.Bundles[0].Repository != fixtureRepo || res.Bundles[0].Downloads != 4 {
		t.Errorf("Search = %+v, want %s alone with 4 downloads", res, fixtureRepo)
	}
}

// TestPushForgetsUnknownLayers: a layer fetched before its version was
// indexed is cached as unknown; the push of the version's manifest, once
// indexed, makes its next download count at once.
func TestPushForgetsUnknownLayers(t *testing.T) {
	store := openStore(t, "")
	c, _ := openCounter(t, Options{Store: store})
	data := []byte("a bundle not indexed yet")
	layer := digest.FromBytes(data).String()
	indexing := func(next http.Handler) http.Handler {
		// What server.observePushes does: index before answering the push.
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") {
				putVersion(t, store, fixtureRepo, fixtureVersion, linux, layer)
			}
			next.ServeHTTP(w, r)
		})
	}
	srv, _ := startRegistry(t, func(h http.Handler) http.Handler { return c.Middleware(indexing(h)) })
	repo := remoteRepo(t, srv, fixtureRepo)
	desc := pushBlob(t, repo, mediatypes.Bundle, data)
	url := srv.URL + "/v2/" + fixtureRepo + "/blobs/" + layer

	do(t, "GET", url)
	wantPending(t, c, 0) // not a bundle layer yet

	_, err := oras.PackManifest(context.Background(), repo, oras.PackManifestVersion1_1, mediatypes.ArtifactType,
		oras.PackManifestOptions{Layers: []ocispec.Descriptor{desc}})
	must(t, err)
	do(t, "GET", url)
	wantPending(t, c, 1)
}

// TestMiddlewareStatuses decides from status, headers, the body sent and
// the Range asked for, with a handler standing in for a registry that
// redirects to a blob store (the embedded one never does) or answers
// oddly. Each case is a new Counter: no ranges carry over. They run over
// a real HTTP server, which handles 1xx and short bodies as clients see
// them.
func TestMiddlewareStatuses(t *testing.T) {
	store := openStore(t, "")
	putFixture(t, store)
	putVersion(t, store, "acme/blobs", "1.0.0", linux, linuxLayer)
	blob := "/v2/" + fixtureRepo + "/blobs/" + linuxLayer
	for _, tc := range []struct {
		name    string
		method  string
		path    string
		rng     string
		serve   func(w http.ResponseWriter)
		counted bool
	}{
		{"200 with the whole body", "GET", blob, "", body(200, "", "zip"), true},
		{"200 by ReadFrom", "GET", blob, "", func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "3")
			w.(io.ReaderFrom).ReadFrom(strings.NewReader("zip"))
		}, true},
		{"200 cut short", "GET", blob, "", func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", "100")
			io.WriteString(w, "zip")
		}, false},
		{"200 without Content-Length", "GET", blob, "", func(w http.ResponseWriter) { io.WriteString(w, "zip") }, false},
		{"implicit 200, empty", "GET", blob, "", func(http.ResponseWriter) {}, false},
		{"200 to a continuation Range (ignored by the server)", "GET", blob, "bytes=10-", body(200, "", "zip"), true},
		{"206 of the whole blob", "GET", blob, "bytes=0-", body(206, "bytes 0-2/3", "zip"), true},
		{"206 from 0, part", "GET", blob, "bytes=0-1", body(206, "bytes 0-1/3", "zi"), false},
		{"206 continuation", "GET", blob, "bytes=1-", body(206, "bytes 1-2/3", "ip"), false},
		{"206 of unknown size", "GET", blob, "bytes=0-", body(206, "bytes 0-2/*", "zip"), false},
		{"206 multipart", "GET", blob, "bytes=0-0,2-2", status(206, ""), false},
		{"103 then 200", "GET", blob, "", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusEarlyHints)
			body(200, "", "zip")(w)
		}, true},
		{"307 redirect", "GET", blob, "", redirect(307), true},
		{"302 redirect", "GET", blob, "", redirect(302), true},
		{"307 redirect of a range from 0", "GET", blob, "bytes=0-1023", redirect(307), true},
		{"307 redirect of a continuation", "GET", blob, "bytes=1024-", redirect(307), false},
		{"307 redirect of a suffix range", "GET", blob, "bytes=-100", redirect(307), false},
		{"304 not modified", "GET", blob, "", status(304, ""), false},
		{"404", "GET", blob, "", status(404, ""), false},
		{"500", "GET", blob, "", status(500, ""), false},
		{"HEAD", "HEAD", blob, "", body(200, "", ""), false},
		{"upload status", "GET", "/v2/" + fixtureRepo + "/blobs/uploads/0f1e2d", "", status(204, ""), false},
		{"manifest", "GET", "/v2/" + fixtureRepo + "/manifests/" + linuxLayer, "", status(200, ""), false},
		{"repository named blobs", "GET", "/v2/acme/blobs/blobs/" + linuxLayer, "", body(200, "", "zip"), true},
		{"repository named blobs, its upload", "GET", "/v2/acme/blobs/blobs/uploads/" + linuxLayer, "", status(200, ""), false},
		{"not /v2/", "GET", "/v1/" + fixtureRepo + "/blobs/" + linuxLayer, "", status(200, ""), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := openCounter(t, Options{Store: store})
			counted := c.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { tc.serve(w) }))
			done := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer close(done)
				counted.ServeHTTP(w, r)
			}))
			defer srv.Close()
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			must(t, err)
			if tc.rng != "" {
				req.Header.Set("Range", tc.rng)
			}
			resp, err := noRedirects.Do(req)
			must(t, err)
			_, _ = io.Copy(io.Discard, resp.Body) // a body cut short fails here, as it should
			resp.Body.Close()
			<-done
			want := 0
			if tc.counted {
				want = 1
			}
			wantPending(t, c, want)
		})
	}
}

// noRedirects sees a redirect to the blob store instead of following it.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func status(code int, contentRange string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if contentRange != "" {
			w.Header().Set("Content-Range", contentRange)
		}
		w.WriteHeader(code)
	}
}

// body answers code with a body (Content-Length set) and a Content-Range
// if not empty.
func body(code int, contentRange, data string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		status(code, contentRange)(w)
		io.WriteString(w, data)
	}
}

func redirect(code int) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Location", "https://blobs.example.com/sha256/abc")
		w.WriteHeader(code)
	}
}

// TestMiddlewareStreams checks that the body is passed through as it is
// written (the client reads the first part while the handler still holds
// the rest), that http.Flusher and ResponseController reach the real
// writer, and that the download is counted once the body has been sent,
// not when it starts.
func TestMiddlewareStreams(t *testing.T) {
	store := openStore(t, "")
	putFixture(t, store)
	c, _ := openCounter(t, Options{Store: store})
	release := make(chan struct{})
	countedFirst := make(chan int, 1)
	h := c.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		rc := http.NewResponseController(w)
		if err := rc.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Errorf("ResponseController.SetWriteDeadline through the middleware: %v", err)
		}
		w.Header().Set("Content-Length", fmt.Sprint(len("first part;second part")))
		w.WriteHeader(200)
		countedFirst <- c.Pending()
		io.WriteString(w, "first part;")
		if f, ok := w.(http.Flusher); !ok {
			t.Error("the wrapped writer is no http.Flusher")
		} else {
			f.Flush()
		}
		<-release // the client must have the first part before the rest is written
		io.WriteString(w, "second part")
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/v2/" + fixtureRepo + "/blobs/" + linuxLayer)
	must(t, err)
	defer resp.Body.Close()
	first := make([]byte, len("first part;"))
	_, err = io.ReadFull(resp.Body, first)
	close(release)
	must(t, err)
	rest, err := io.ReadAll(resp.Body)
	must(t, err)
	if string(first)+string(rest) != "first part;second part" {
		t.Errorf("body %q%q", first, rest)
	}
	if n := <-countedFirst; n != 0 {
		t.Errorf("Pending() when the status was sent = %d, want 0 (counted once the body is sent)", n)
	}
	// The handler returns after the client has read the body.
	for deadline := time.Now().Add(10 * time.Second); c.Pending() != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Pending() = %d 10s after the body was read, want 1", c.Pending())
		}
	}
}
