package proxy_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	mathrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd" // registers "htpasswd"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"
	"oras.land/oras-go/v2/registry/remote"
	orasauth "oras.land/oras-go/v2/registry/remote/auth"

	mauth "github.com/mpak-oci/mpak/registry/auth"
	"github.com/mpak-oci/mpak/registry/auth/authtest"
	"github.com/mpak-oci/mpak/registry/embedded"
	"github.com/mpak-oci/mpak/registry/proxy"
)

// mpakd's account on the upstream registries of these tests, and what a
// client of mpakd sends with its own requests: neither its credentials
// nor its session may reach the upstream.
const (
	mpakdUser     = "mpakd"
	mpakdPassword = "upstream secret"
	clientAuth    = "Basic bWFsbG9yeTpndWVzcw==" // mallory:guess
	clientCookie  = "session=mallory"
)

func basicOf(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// seen is what an upstream received: each request's method, path,
// Authorization and Cookie, and the status it answered.
type seen struct {
	mu       sync.Mutex
	requests []seenRequest
}

type seenRequest struct {
	method, path, authorization, cookie string
	status                              int
}

func (s *seen) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		s.mu.Lock()
		s.requests = append(s.requests, seenRequest{r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Cookie"), rec.status})
		s.mu.Unlock()
	})
}

func (s *seen) all() []seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seenRequest(nil), s.requests...)
}

// count is how many requests matched.
func (s *seen) count(match func(seenRequest) bool) int {
	n := 0
	for _, r := range s.all() {
		if match(r) {
			n++
		}
	}
	return n
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// checkClientCredentialsStayed fails the test if the client's
// credentials or cookie reached the upstream, or if a request with a body
// went there without mpakd's credentials or was challenged.
func checkClientCredentialsStayed(t *testing.T, s *seen, mpakdScheme string) {
	t.Helper()
	for _, r := range s.all() {
		if r.authorization == clientAuth || r.cookie != "" {
			t.Errorf("%s %s reached the upstream with the client's Authorization %q / Cookie %q", r.method, r.path, r.authorization, r.cookie)
		}
		if (r.method == http.MethodPatch || r.method == http.MethodPut) && strings.Contains(r.path, "/blobs/uploads/") {
			if !strings.HasPrefix(r.authorization, mpakdScheme) {
				t.Errorf("%s %s reached the upstream with Authorization %q, want mpakd's %s credentials", r.method, r.path, r.authorization, mpakdScheme)
			}
			if r.status == http.StatusUnauthorized {
				t.Errorf("%s %s with a body was challenged by the upstream: its credential was not fetched ahead", r.method, r.path)
			}
		}
	}
}

// htpasswdUpstream starts distribution/v3 with its htpasswd access
// controller (Basic authentication) and mpakd's account, storing on disk.
func htpasswdUpstream(t *testing.T) (*httptest.Server, *seen) {
	t.Helper()
	logrus.SetLevel(logrus.FatalLevel) // distribution logs every request
	hash, err := bcrypt.GenerateFromPassword([]byte(mpakdPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	htpasswd := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(htpasswd, []byte(mpakdUser+":"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := "version: 0.1\nlog:\n  level: error\n" +
		"storage:\n  filesystem:\n    rootdirectory: " + fmt.Sprintf("%q", t.TempDir()) + "\n" +
		"http:\n  secret: test-secret\n" +
		"auth:\n  htpasswd:\n    realm: " + realm + "\n    path: " + fmt.Sprintf("%q", htpasswd) + "\n"
	cfg, err := configuration.Parse(strings.NewReader(yaml))
	if err != nil {
		t.Fatal(err)
	}
	app := handlers.NewApp(context.Background(), cfg)
	s := &seen{}
	srv := httptest.NewServer(s.wrap(app))
	t.Cleanup(func() {
		srv.Close()
		_ = app.Shutdown()
	})
	return srv, s
}

// tokenUpstream is mpakd's own registry with its authentication on: a
// Bearer token service, mpakd's account allowed to read and push
// everywhere, anonymous clients nothing. Its token clock runs offset by
// clock from the real one, so a test can expire every token issued.
func tokenUpstream(t *testing.T, clock *atomic.Int64) (*httptest.Server, *seen) {
	t.Helper()
	dir := t.TempDir()
	policy := "repositories:\n  \"**\":\n    anonymous: []\n    policies:\n      - users: [" + mpakdUser + "]\n        actions: [read, push]\n"
	discard := slog.New(slog.DiscardHandler)
	files, _ := authtest.Files(t, authtest.Config{Users: map[string]string{mpakdUser: mpakdPassword}, Policy: policy})
	tokens := authtest.Tokens(t, mauth.TokenOptions{Now: func() time.Time { return time.Now().Add(time.Duration(clock.Load())) }})
	reg, err := embedded.New(context.Background(), embedded.Options{Dir: filepath.Join(dir, "registry")})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v2/", mauth.Middleware(reg, mauth.MiddlewareOptions{Files: files, Tokens: tokens, Service: tokens.Service(), Logger: discard}))
	mux.Handle("/token", mauth.TokenHandler(mauth.TokenHandlerOptions{Tokens: tokens, Authenticate: files.Authenticate, Grant: files.Grant, Logger: discard}))
	s := &seen{}
	srv := httptest.NewServer(s.wrap(mux))
	t.Cleanup(func() {
		srv.Close()
		_ = reg.Close()
	})
	return srv, s
}

// proxyAsMpakd serves the proxy to up with mpakd's credentials.
func proxyAsMpakd(t *testing.T, up *httptest.Server, password string) *httptest.Server {
	t.Helper()
	u, err := url.Parse(up.URL)
	if err != nil {
		t.Fatal(err)
	}
	h, err := proxy.New(u, proxy.Options{
		Credentials: orasauth.StaticCredential(u.Host, orasauth.Credential{Username: mpakdUser, Password: password}),
		Logger:      slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// clientOfMpakd sends what a client authenticated to mpakd sends: its own
// Authorization and a session cookie, which mpakd's authentication (not
// part of these tests) would have accepted.
var clientOfMpakd = &http.Client{Transport: clientHeaders{}}

type clientHeaders struct{}

func (clientHeaders) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", clientAuth)
	r.Header.Set("Cookie", clientCookie)
	return http.DefaultTransport.RoundTrip(r)
}

func anonymousRepo(t *testing.T, px *httptest.Server, name string) *remote.Repository {
	t.Helper()
	repo, err := remote.NewRepository(host(px) + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	repo.Client = clientOfMpakd
	return repo
}

// blob is a reproducible incompressible blob of size bytes.
type blob struct {
	seed byte
	size int64
}

func (b blob) reader() io.Reader {
	return io.LimitReader(mathrand.NewChaCha8([32]byte{'m', 'p', 'a', 'k', b.seed}), b.size)
}

func (b blob) descriptor(t testing.TB) ocispec.Descriptor {
	h := sha256.New()
	if _, err := io.Copy(h, b.reader()); err != nil {
		t.Fatal(err)
	}
	return ocispec.Descriptor{MediaType: "application/octet-stream", Digest: digest.NewDigestFromBytes(digest.SHA256, h.Sum(nil)), Size: b.size}
}

// do sends a request to the proxy as clientOfMpakd. A body without a
// length goes chunked.
func do(t *testing.T, method, url string, body io.Reader, length int64) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = length
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	resp, err := clientOfMpakd.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// startUpload opens a blob upload in name through px and returns its
// location, which any proxy to the same upstream can continue.
func startUpload(t *testing.T, px *httptest.Server, name string) string {
	t.Helper()
	resp, body := do(t, http.MethodPost, px.URL+"/v2/"+name+"/blobs/uploads/", nil, 0)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST %s upload: %s %s", name, resp.Status, body)
	}
	return uploadLocation(t, resp)
}

// uploadLocation is the path and query of the upload's next URL, which
// points at the proxy (the upstream built it from X-Forwarded-Host).
func uploadLocation(t *testing.T, resp *http.Response) string {
	t.Helper()
	loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Host != resp.Request.URL.Host || !strings.HasPrefix(loc.Path, "/v2/") {
		t.Fatalf("upload Location %q (%v), want a URL on the proxy", resp.Header.Get("Location"), err)
	}
	return loc.RequestURI()
}

func withDigest(loc string, d digest.Digest) string {
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	return loc + sep + "digest=" + url.QueryEscape(d.String())
}

// patch streams b's bytes from offset to offset+n as one chunked PATCH.
func patch(t *testing.T, px *httptest.Server, loc string, b blob, offset, n int64) (*http.Response, []byte) {
	t.Helper()
	r := b.reader()
	if _, err := io.CopyN(io.Discard, r, offset); err != nil {
		t.Fatal(err)
	}
	return do(t, http.MethodPatch, px.URL+loc, io.LimitReader(r, n), -1)
}

// fetchDigest pulls a blob through px and returns its digest.
func fetchDigest(t *testing.T, px *httptest.Server, name string, d digest.Digest) digest.Digest {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, px.URL+"/v2/"+name+"/blobs/"+d.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := clientOfMpakd.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET blob %s through the proxy: %s %s", d, resp.Status, b)
	}
	h := sha256.New()
	if _, err := io.Copy(h, resp.Body); err != nil {
		t.Fatal(err)
	}
	return digest.NewDigestFromBytes(digest.SHA256, h.Sum(nil))
}

// TestAsMpakdBasic: with mpakd's credentials, a client of mpakd pushes and
// pulls multi-MB blobs through the proxy to an htpasswd-protected
// distribution: by oras-go (POST, then a monolithic PUT), by chunked
// PATCHes without Content-Length, and by a PUT carrying the whole blob,
// each first through a proxy that has not met the upstream's challenge
// yet. The client's credentials and cookie never reach the upstream, every
// body goes with mpakd's, and none is buffered.
func TestAsMpakdBasic(t *testing.T) {
	ctx := context.Background()
	up, log := htpasswdUpstream(t)
	want := basicOf(mpakdUser, mpakdPassword)

	px := proxyAsMpakd(t, up, mpakdPassword)
	mono := blob{seed: 1, size: 8 << 20}
	desc := mono.descriptor(t)
	repo := anonymousRepo(t, px, "acme/oras")
	if err := repo.Push(ctx, desc, mono.reader()); err != nil {
		t.Fatalf("pushing %d bytes with oras-go through the proxy: %v", mono.size, err)
	}
	rc, err := repo.Fetch(ctx, desc)
	if err != nil {
		t.Fatalf("pulling with oras-go through the proxy: %v", err)
	}
	h := sha256.New()
	_, err = io.Copy(h, rc)
	rc.Close()
	if got := digest.NewDigestFromBytes(digest.SHA256, h.Sum(nil)); err != nil || got != desc.Digest {
		t.Fatalf("pulled %s, %v; want %s", got, err, desc.Digest)
	}

	// Chunked: the upload is opened through px, continued through a proxy
	// whose first request upstream carries a body.
	chunked := blob{seed: 2, size: 25 << 20}
	desc = chunked.descriptor(t)
	loc := startUpload(t, px, "acme/chunked")
	fresh := proxyAsMpakd(t, up, mpakdPassword)
	const first = 24 << 20
	var resp *http.Response
	var body []byte
	peak := sampleHeap(t, func() { resp, body = patch(t, fresh, loc, chunked, 0, first) })
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("first PATCH through a fresh proxy: %s %s", resp.Status, body)
	}
	if peak > heapBudget {
		t.Errorf("a %d MiB PATCH grew the heap by %.1f MiB, want < %d MiB: the body is buffered", first>>20, float64(peak)/(1<<20), heapBudget>>20)
	}
	resp, body = patch(t, fresh, uploadLocation(t, resp), chunked, first, chunked.size-first)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("second PATCH: %s %s", resp.Status, body)
	}
	resp, body = do(t, http.MethodPut, fresh.URL+withDigest(uploadLocation(t, resp), desc.Digest), nil, 0)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("closing the chunked upload: %s %s", resp.Status, body)
	}
	if got := fetchDigest(t, fresh, "acme/chunked", desc.Digest); got != desc.Digest {
		t.Fatalf("pulled %s after a chunked push, want %s", got, desc.Digest)
	}

	// Monolithic: the whole blob in the PUT, through another fresh proxy.
	whole := blob{seed: 3, size: 6 << 20}
	desc = whole.descriptor(t)
	loc = startUpload(t, px, "acme/whole")
	fresh = proxyAsMpakd(t, up, mpakdPassword)
	resp, body = do(t, http.MethodPut, fresh.URL+withDigest(loc, desc.Digest), whole.reader(), whole.size)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("monolithic PUT through a fresh proxy: %s %s", resp.Status, body)
	}
	if got := fetchDigest(t, px, "acme/whole", desc.Digest); got != desc.Digest {
		t.Fatalf("pulled %s after a monolithic PUT, want %s", got, desc.Digest)
	}

	checkClientCredentialsStayed(t, log, "Basic ")
	if n := log.count(func(r seenRequest) bool { return r.authorization != "" && r.authorization != want }); n != 0 {
		t.Errorf("%d requests reached the upstream with credentials other than mpakd's", n)
	}
	if n := log.count(func(r seenRequest) bool { return r.authorization == want }); n == 0 {
		t.Error("no request reached the upstream with mpakd's credentials")
	}
}

// TestAsMpakdWrongPassword: when the upstream refuses mpakd's credentials,
// clients get a 502 saying so, naming the repository and the action, and
// no challenge that would send them to the upstream's realm. A body is not
// sent once the credentials were refused.
func TestAsMpakdWrongPassword(t *testing.T) {
	up, log := htpasswdUpstream(t)
	px := proxyAsMpakd(t, up, "wrong")

	checkRefusal := func(what string, resp *http.Response, body []byte, action string) {
		t.Helper()
		if resp.StatusCode != http.StatusBadGateway {
			t.Errorf("%s: status %d, want 502", what, resp.StatusCode)
		}
		if c := resp.Header.Get("WWW-Authenticate"); c != "" {
			t.Errorf("%s: WWW-Authenticate %q reached the client", what, c)
		}
		for _, want := range []string{"--upstream-username", "MPAKD_UPSTREAM_PASSWORD", "docker config", action + " acme/weather", "401"} {
			if !bytes.Contains(body, []byte(want)) {
				t.Errorf("%s: body %s does not mention %q", what, body, want)
			}
		}
	}

	resp, body := do(t, http.MethodGet, px.URL+"/v2/acme/weather/tags/list", nil, 0)
	checkRefusal("GET tags/list", resp, body, "pull")

	// A body through a proxy that has not met the upstream yet: the
	// credentials are refused before it is sent.
	b := blob{seed: 4, size: 2 << 20}
	d := b.descriptor(t).Digest
	fresh := proxyAsMpakd(t, up, "wrong")
	resp, body = do(t, http.MethodPost, fresh.URL+"/v2/acme/weather/blobs/uploads/?digest="+url.QueryEscape(d.String()), b.reader(), b.size)
	checkRefusal("POST with a body through a fresh proxy", resp, body, "push")
	if n := log.count(func(r seenRequest) bool { return r.method == http.MethodPost }); n != 0 {
		t.Errorf("the upstream received %d POSTs, want none: the body went out with refused credentials", n)
	}

	// A body through the proxy that has cached the refused credentials:
	// they go with the body, and the answer is the same 502, not a retry.
	resp, body = do(t, http.MethodPost, px.URL+"/v2/acme/weather/blobs/uploads/?digest="+url.QueryEscape(d.String()), b.reader(), b.size)
	checkRefusal("POST with a body through the proxy", resp, body, "push")
	checkClientCredentialsStayed(t, log, "Basic ")
}

// TestAsMpakdBearer: with an upstream that issues Bearer tokens (mpakd
// itself), a proxy whose first request is a streamed PATCH fetches the
// pull,push token ahead with a body-less request, and the PATCH and every
// later write to the repository reuse it: one token fetch for two uploads.
// When the upstream refuses the cached token after the body started
// (expired), the client gets a 503 to retry, and its retry succeeds.
func TestAsMpakdBearer(t *testing.T) {
	var clock atomic.Int64
	// Tokens issued in the past: the upstream never takes them from its
	// cache of verified tokens, so moving the clock expires them.
	clock.Store(int64(-10 * time.Minute))
	up, log := tokenUpstream(t, &clock)
	tokenFetches := func() int {
		return log.count(func(r seenRequest) bool { return r.path == "/token" && r.status == http.StatusOK })
	}

	opener := proxyAsMpakd(t, up, mpakdPassword)
	loc := startUpload(t, opener, "acme/weather")

	px := proxyAsMpakd(t, up, mpakdPassword)
	before := tokenFetches()
	b := blob{seed: 5, size: 4 << 20}
	desc := b.descriptor(t)
	resp, body := patch(t, px, loc, b, 0, b.size)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("a fresh proxy's first request, a streamed PATCH: %s %s", resp.Status, body)
	}
	resp, body = do(t, http.MethodPut, px.URL+withDigest(uploadLocation(t, resp), desc.Digest), nil, 0)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("closing the upload: %s %s", resp.Status, body)
	}
	// A whole second upload to the same repository.
	b2 := blob{seed: 6, size: 1 << 20}
	desc2 := b2.descriptor(t)
	loc = startUpload(t, px, "acme/weather")
	resp, body = patch(t, px, loc, b2, 0, b2.size)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("second upload's PATCH: %s %s", resp.Status, body)
	}
	resp, body = do(t, http.MethodPut, px.URL+withDigest(uploadLocation(t, resp), desc2.Digest), nil, 0)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("closing the second upload: %s %s", resp.Status, body)
	}
	if n := tokenFetches() - before; n != 1 {
		t.Errorf("the proxy fetched %d tokens for two uploads to one repository, want 1 (pull,push, reused)", n)
	}
	if got := fetchDigest(t, px, "acme/weather", desc.Digest); got != desc.Digest {
		t.Fatalf("pulled %s, want %s", got, desc.Digest)
	}
	checkClientCredentialsStayed(t, log, "Bearer ")

	// Expire every token issued so far, the proxy's fresh one included.
	b3 := blob{seed: 7, size: 1 << 20}
	desc3 := b3.descriptor(t)
	loc = startUpload(t, px, "acme/weather")
	clock.Store(int64(10 * time.Minute))
	resp, body = patch(t, px, loc, b3, 0, b3.size)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !bytes.Contains(body, []byte("retry")) {
		t.Fatalf("PATCH with an expired token: %s, Retry-After %q, %s; want 503 asking to retry", resp.Status, resp.Header.Get("Retry-After"), body)
	}
	if c := resp.Header.Get("WWW-Authenticate"); c != "" {
		t.Errorf("WWW-Authenticate %q reached the client", c)
	}
	resp, body = patch(t, px, loc, b3, 0, b3.size)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("retried PATCH: %s %s", resp.Status, body)
	}
	resp, body = do(t, http.MethodPut, px.URL+withDigest(uploadLocation(t, resp), desc3.Digest), nil, 0)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("closing the retried upload: %s %s", resp.Status, body)
	}
	if got := fetchDigest(t, px, "acme/weather", desc3.Digest); got != desc3.Digest {
		t.Fatalf("pulled %s, want %s", got, desc3.Digest)
	}
	for _, r := range log.all() {
		if r.authorization == clientAuth || r.cookie != "" {
			t.Errorf("%s %s reached the upstream with the client's credentials", r.method, r.path)
		}
	}
}
