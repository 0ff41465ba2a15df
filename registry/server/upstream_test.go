package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd" // registers "htpasswd"
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory" // registers "inmemory"
	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"
	"oras.land/oras-go/v2"
	orasremote "oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/bundle/bundletest"
	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/postgres"
	"github.com/mpak-oci/mpak/registry/catalog/postgres/pgtest"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/server"
)

const (
	hookSecret = "s3cret"
	user       = "alice"
	password   = "wonderland"
)

// upstreamRegistry runs distribution/v3 with htpasswd authentication and
// notifications to hooks (mpakd's /hooks/distribution URLs), configured as
// an operator would configure theirs. It returns its host.
func upstreamRegistry(t *testing.T, hooks ...string) string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	htpasswd := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(htpasswd, []byte(user+":"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var endpoints strings.Builder
	for i, h := range hooks {
		fmt.Fprintf(&endpoints, `    - name: mpakd%d
      url: %s
      headers:
        Authorization: [Bearer %s]
      timeout: 2s
      threshold: 3
      backoff: 100ms
`, i, h, hookSecret)
	}
	logrus.SetLevel(logrus.FatalLevel)
	cfg, err := configuration.Parse(strings.NewReader(fmt.Sprintf(`version: 0.1
log:
  level: error
storage:
  inmemory: {}
  delete:
    enabled: true
http:
  secret: test-secret
auth:
  htpasswd:
    realm: test
    path: %s
notifications:
  endpoints:
%s`, htpasswd, endpoints.String())))
	if err != nil {
		t.Fatal(err)
	}
	app := handlers.NewApp(context.Background(), cfg)
	srv := httptest.NewServer(app)
	t.Cleanup(func() {
		srv.Close()
		_ = app.Shutdown()
	})
	return strings.TrimPrefix(srv.URL, "http://")
}

// mpakd is an mpakd server in upstream mode on its own listener.
type mpakd struct {
	addr    string
	ln      net.Listener
	catalog *catalogapi.Client
}

// listen reserves mpakd's address first: the upstream's notification
// configuration needs it before mpakd can be told the upstream's.
func listen(t *testing.T) *mpakd {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	return &mpakd{addr: addr, ln: ln, catalog: &catalogapi.Client{BaseURL: "http://" + addr}}
}

func (m *mpakd) hooksURL() string { return "http://" + m.addr + "/hooks/distribution" }

// serve starts mpakd in front of the upstream at upHost, reading it as
// user, with store as its catalog.
func (m *mpakd) serve(t *testing.T, upHost string, store catalog.Store, options ...func(*server.Options)) {
	t.Helper()
	ctx := context.Background()
	u, _ := url.Parse("http://" + upHost)
	opts := server.Options{
		DataDir:        t.TempDir(),
		Store:          store,
		Upstream:       u,
		UpstreamRemote: connect.Options{Credentials: credentialsFor(t, upHost)},
		HooksSecret:    hookSecret,
		Logger:         slog.New(slog.DiscardHandler),
	}
	for _, o := range options {
		o(&opts)
	}
	s, err := server.New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(m.ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
}

// credentialsFor is a credential store holding alice's password for hosts.
func credentialsFor(t *testing.T, hosts ...string) credentials.Store {
	t.Helper()
	cs := credentials.NewMemoryStore()
	for _, h := range hosts {
		if err := cs.Put(context.Background(), h, auth.Credential{Username: user, Password: password}); err != nil {
			t.Fatal(err)
		}
	}
	return cs
}

// repository is acme/weather at host, as alice.
func repository(t *testing.T, host string) *orasremote.Repository {
	t.Helper()
	r, err := ref.Parse(host+"/acme/weather", ref.Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	repo, err := connect.Options{Credentials: credentialsFor(t, host)}.Repository(r)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

// pushTwoPlatforms publishes acme/weather 1.0.0 with a linux/amd64 and a
// darwin/arm64 build, straight to the upstream.
func pushTwoPlatforms(t *testing.T, upHost string) {
	t.Helper()
	var files []bundle.File
	for _, p := range []string{"linux/amd64", "darwin/arm64"} {
		platform, err := mediatypes.ParsePlatform(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, bundle.File{Path: mcpbtest.Pack(t, "weather", "1.0.0", p), Platform: platform})
	}
	plan, err := bundle.Prepare(files, bundle.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Push(context.Background(), repository(t, upHost), plan, "1.0.0", bundle.PushOptions{}); err != nil {
		t.Fatalf("push to the upstream as %s: %v", user, err)
	}
}

// pull pulls acme/weather 1.0.0 for platform from host, as alice.
func pull(t *testing.T, host, platform string) {
	t.Helper()
	if err := tryPull(t, host, platform); err != nil {
		t.Fatal(err)
	}
}

// tryPull is pull for goroutines other than the test's, which must not
// call t.Fatal.
func tryPull(t *testing.T, host, platform string) error {
	p, err := mediatypes.ParsePlatform(platform)
	if err != nil {
		return err
	}
	if _, err := bundle.Pull(context.Background(), repository(t, host), bundletest.Resolve(t, repository(t, host), "1.0.0"), bundle.PullOptions{Platform: p, Output: t.TempDir()}); err != nil {
		return fmt.Errorf("pull %s from %s: %w", platform, host, err)
	}
	return nil
}

// builds is a version's downloads per platform, as the API reports them.
func builds(t *testing.T, c *catalogapi.Client) (map[string]int64, error) {
	t.Helper()
	v, err := c.Version(context.Background(), "acme/weather", "1.0.0")
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, b := range v.Builds {
		out[b.Platform] = b.Downloads
	}
	return out, nil
}

// eventually polls cond until it holds: notifications are delivered and
// counts flushed asynchronously.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last state: %s", what, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func wantBuilds(t *testing.T, c *catalogapi.Client, what string, want map[string]int64) {
	t.Helper()
	eventually(t, what, func() (bool, string) {
		got, err := builds(t, c)
		if err != nil {
			return false, err.Error()
		}
		return fmt.Sprint(got) == fmt.Sprint(want), fmt.Sprint(got)
	})
}

// TestUpstreamWithAuthAndNotifications: an upstream with htpasswd
// authentication notifies mpakd. A push made straight to the upstream is
// indexed from its notification; pulls through mpakd (alice's credentials
// passing through the proxy) and straight from the upstream are each
// counted exactly once per platform, though the upstream also notifies
// mpakd of the proxied ones.
func TestUpstreamWithAuthAndNotifications(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	m := listen(t)
	upHost := upstreamRegistry(t, m.hooksURL())
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	m.serve(t, upHost, store)

	// Anonymous clients get the upstream's challenge through mpakd.
	resp, err := http.Get("http://" + m.addr + "/v2/acme/weather/tags/list")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
		t.Fatalf("anonymous request through mpakd: %s, challenge %q; want the upstream's 401 Basic challenge", resp.Status, resp.Header.Get("WWW-Authenticate"))
	}

	pushTwoPlatforms(t, upHost)
	eventually(t, "the push notification to index 1.0.0", func() (bool, string) {
		b, err := m.catalog.Bundle(context.Background(), "acme/weather")
		if err != nil {
			return false, err.Error()
		}
		return b.Latest == "1.0.0" && len(b.Builds) == 2, fmt.Sprintf("latest %s, %d builds", b.Latest, len(b.Builds))
	})

	for range 3 {
		pull(t, m.addr, "linux/amd64") // through mpakd
	}
	for range 2 {
		pull(t, upHost, "darwin/arm64") // straight from the upstream
	}
	pull(t, upHost, "linux/amd64")
	wantBuilds(t, m.catalog, "3+1 linux and 2 darwin downloads", map[string]int64{"linux/amd64": 4, "darwin/arm64": 2})

	// Nothing more arrives later: the proxied pulls' notifications were
	// skipped, not merely slow. One more direct pull is a marker: once it
	// is counted, every earlier notification has been processed.
	pull(t, upHost, "darwin/arm64")
	wantBuilds(t, m.catalog, "the marker pull", map[string]int64{"linux/amd64": 4, "darwin/arm64": 3})
	if b, err := m.catalog.Bundle(context.Background(), "acme/weather"); err != nil || b.Downloads != 7 {
		t.Errorf("bundle total %v (%v), want 7", b.Downloads, err)
	}

	// /metrics says the same, and how the index and store behaved.
	if got := metric(t, m, "mpakd_downloads_counted_total"); got != 7 {
		t.Errorf("mpakd_downloads_counted_total = %v, want 7", got)
	}
	if got := metric(t, m, `mpakd_index_lag_seconds_count{source="distribution"}`); got != 1 {
		t.Errorf("index lag observations from distribution events = %v, want 1 (the one push)", got)
	}
	if got := metric(t, m, `mpakd_store_duration_seconds_count{op="add_downloads"}`); got < 1 {
		t.Errorf("store latency of add_downloads observed %v times, want at least once", got)
	}
}

// metric reads one sample from mpakd's /metrics; a missing one is 0.
func metric(t *testing.T, m *mpakd, series string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + m.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", line, err)
			}
			return f
		}
	}
	return 0
}

// postHook posts a payload to one of mpakd's hooks with an Authorization
// header as given, and returns the status.
func postHook(t *testing.T, m *mpakd, path, authorization, payload string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+m.addr+path, strings.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", authorization)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// harborFixture is one of the hooks' Harbor payload fixtures, naming
// digest and tag instead of the fixture's.
func harborFixture(t *testing.T, name, digest, tag string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "hooks", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), `"tag": "1.2.3"`, fmt.Sprintf("%q: %q", "tag", tag))
	for _, old := range []string{
		"sha256:1bc04b5291c26a46d918139138b992d2de976d6851d0893b0476b85bfbdfc6e6",
		"sha256:05b3abf2579a5eb66403cd78be557fd860633a1fe2103c7642030defe32c657f",
	} {
		s = strings.ReplaceAll(s, old, digest)
	}
	return s
}

// TestHarborWebhook: Harbor's webhook payloads (the fixtures, pointed at a
// real bundle in the upstream) index a push and count a pull by tag, which
// Harbor reports as the index and the platform manifest, exactly once. A
// wrong secret is refused with 401 and a malformed payload with 400, and
// neither indexes anything.
func TestHarborWebhook(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	m := listen(t)
	upHost := upstreamRegistry(t) // no distribution notifications: Harbor's hooks only
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	m.serve(t, upHost, store)
	pushTwoPlatforms(t, upHost)

	push := harborFixture(t, "harbor-push-artifact.json", "sha256:"+strings.Repeat("0", 64), "1.0.0")
	if code := postHook(t, m, "/hooks/harbor", "wrong", push); code != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d, want 401", code)
	}
	malformed := strings.Replace(push, `"tag": "1.0.0"`, `"tag": "not a tag!"`, 1)
	if code := postHook(t, m, "/hooks/harbor", hookSecret, malformed); code != http.StatusBadRequest {
		t.Errorf("malformed payload: %d, want 400", code)
	}
	if code := postHook(t, m, "/hooks/harbor", hookSecret, `{"type":"PUSH_ARTIFACT","event_data":`); code != http.StatusBadRequest {
		t.Errorf("truncated payload: %d, want 400", code)
	}
	if _, err := m.catalog.Bundle(context.Background(), "acme/weather"); err == nil {
		t.Fatal("a refused payload was indexed")
	}

	if code := postHook(t, m, "/hooks/harbor", hookSecret, push); code != http.StatusOK {
		t.Fatalf("PUSH_ARTIFACT: %d, want 200", code)
	}
	v, err := m.catalog.Version(context.Background(), "acme/weather", "1.0.0")
	if err != nil || len(v.Builds) != 2 {
		t.Fatalf("after PUSH_ARTIFACT: %+v, %v; want 1.0.0 with 2 builds", v, err)
	}
	if res, err := m.catalog.Search(context.Background(), catalogapi.Query{Text: "weather"}); err != nil || res.Total != 1 {
		t.Fatalf("search after PUSH_ARTIFACT: %+v, %v", res, err)
	}

	// A pull by tag of linux/amd64, as Harbor reports it: the index, then
	// the platform manifest by digest.
	var linux string
	for _, b := range v.Builds {
		if b.Platform == "linux/amd64" {
			linux = b.ManifestDigest
		}
	}
	for _, payload := range []string{
		harborFixture(t, "harbor-pull-artifact.json", v.Digest, "1.0.0"),
		harborFixture(t, "harbor-pull-artifact.json", linux, ""),
	} {
		if code := postHook(t, m, "/hooks/harbor", hookSecret, payload); code != http.StatusOK {
			t.Fatalf("PULL_ARTIFACT: %d, want 200", code)
		}
	}
	wantBuilds(t, m.catalog, "one linux download", map[string]int64{"linux/amd64": 1, "darwin/arm64": 0})
}

// TestReplicasSharePostgreSQL: two mpakd replicas in front of one upstream
// share one PostgreSQL catalog. The upstream notifies one of them; the
// other's search (run before the push) shows the version within a second, and
// concurrent pulls through both are counted exactly, the same on both.
func TestReplicasSharePostgreSQL(t *testing.T) {
	dsn := pgtest.NewSchema(t)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	a, b := listen(t), listen(t)
	upHost := upstreamRegistry(t, a.hooksURL())
	for _, m := range []*mpakd{a, b} {
		store, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		m.serve(t, upHost, store)
	}
	search := func(m *mpakd) int {
		res, err := m.catalog.Search(context.Background(), catalogapi.Query{Text: "weather"})
		if err != nil {
			t.Fatal(err)
		}
		return res.Total
	}
	if n := search(b); n != 0 {
		t.Fatalf("search before any push: %d hits", n)
	}

	pushTwoPlatforms(t, upHost)
	eventually(t, "replica a to index the push", func() (bool, string) {
		_, err := a.catalog.Version(context.Background(), "acme/weather", "1.0.0")
		return err == nil, fmt.Sprint(err)
	})
	// Replica b's search engine follows the shared catalog's change feed:
	// within a second (TestSearchFreshnessAcrossReplicas times it).
	for deadline := time.Now().Add(time.Second); search(b) != 1; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("replica b's search a second after replica a indexed: %d hits, want 1", search(b))
		}
	}

	const each = 4
	var wg sync.WaitGroup
	for _, m := range []*mpakd{a, b} {
		for i := range each {
			platform := []string{"linux/amd64", "darwin/arm64"}[i%2]
			wg.Go(func() {
				if err := tryPull(t, m.addr, platform); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	want := map[string]int64{"linux/amd64": each, "darwin/arm64": each}
	wantBuilds(t, a.catalog, "replica a's counts", want)
	wantBuilds(t, b.catalog, "replica b's counts", want)
	ra, err := a.catalog.Search(context.Background(), catalogapi.Query{Text: "weather"})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := b.catalog.Search(context.Background(), catalogapi.Query{Text: "weather"})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ra.Bundles[0].Name, ra.Bundles[0].Version, ra.Total) != fmt.Sprint(rb.Bundles[0].Name, rb.Bundles[0].Version, rb.Total) {
		t.Errorf("the replicas answer the same search differently: %+v vs %+v", ra, rb)
	}
}

// TestSyncPrefix: with --sync-prefix, pushes the upstream never announced
// are indexed by the periodic re-read, under the prefix only.
func TestSyncPrefix(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	m := listen(t)
	upHost := upstreamRegistry(t) // no notifications
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	m.serve(t, upHost, store, func(o *server.Options) {
		o.SyncPrefixes, o.SyncInterval = []string{"acme/"}, 100*time.Millisecond
	})
	pushTwoPlatforms(t, upHost) // acme/weather
	pushAt(t, upHost, "acmeish/thing", "")
	eventually(t, "the periodic sync to index acme/weather", func() (bool, string) {
		_, err := m.catalog.Version(context.Background(), "acme/weather", "1.0.0")
		return err == nil, fmt.Sprint(err)
	})
	// Give it another round or two: acmeish/ is not under acme/.
	time.Sleep(300 * time.Millisecond)
	if _, err := m.catalog.Bundle(context.Background(), "acmeish/thing"); err == nil {
		t.Error("acmeish/thing, outside the prefix, was indexed")
	}
}

// pushAt publishes version 1.0.0 of a bundle named as the repository's
// last component (its files varying with extra) straight to the upstream,
// as alice.
func pushAt(t *testing.T, upHost, repository, extra string) (*orasremote.Repository, *bundle.Plan) {
	t.Helper()
	plan, err := bundle.Prepare([]bundle.File{{Path: mcpbtest.Pack(t, path.Base(repository), "1.0.0", extra), Platform: mediatypes.AnyPlatform}},
		bundle.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := ref.Parse(upHost+"/"+repository, ref.Defaults{})
	repo, err := connect.Options{Credentials: credentialsFor(t, upHost)}.Repository(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Push(context.Background(), repo, plan, "1.0.0", bundle.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	return repo, plan
}

// notifiedMpakd is mpakd with a SQLite catalog in front of an upstream
// that notifies it.
func notifiedMpakd(t *testing.T) (*mpakd, string) {
	t.Helper()
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	m := listen(t)
	upHost := upstreamRegistry(t, m.hooksURL())
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	m.serve(t, upHost, store)
	return m, upHost
}

// TestDeleteEventsFollowed: a version deleted straight on the upstream
// leaves the catalog when the upstream's notification arrives.
func TestDeleteEventsFollowed(t *testing.T) {
	m, upHost := notifiedMpakd(t)
	pushTwoPlatforms(t, upHost)
	eventually(t, "the push to be indexed", func() (bool, string) {
		_, err := m.catalog.Version(context.Background(), "acme/weather", "1.0.0")
		return err == nil, fmt.Sprint(err)
	})
	repo := repository(t, upHost)
	desc, err := repo.Resolve(context.Background(), "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Delete(context.Background(), desc); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the delete to be followed", func() (bool, string) {
		_, err := m.catalog.Version(context.Background(), "acme/weather", "1.0.0")
		return err != nil && strings.Contains(err.Error(), "NOT_FOUND"), fmt.Sprint(err)
	})
}

// TestMovedTagFromEvents: a push straight to the upstream that moves a
// published tag is caught from the upstream's notification: the catalog
// keeps the published digest and marks the version tampered.
func TestMovedTagFromEvents(t *testing.T) {
	m, upHost := notifiedMpakd(t)
	pushTwoPlatforms(t, upHost)
	var published string
	eventually(t, "the push to be indexed", func() (bool, string) {
		v, err := m.catalog.Version(context.Background(), "acme/weather", "1.0.0")
		if err == nil {
			published = v.Digest
		}
		return err == nil, fmt.Sprint(err)
	})

	// Another weather 1.0.0, copied over the tag straight on the upstream.
	elsewhere, plan := pushAt(t, upHost, "elsewhere/weather", "moved")
	if _, err := oras.Copy(context.Background(), elsewhere, "1.0.0", repository(t, upHost), "1.0.0", oras.DefaultCopyOptions); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the moved tag to be marked tampered", func() (bool, string) {
		v, err := m.catalog.Version(context.Background(), "acme/weather", "1.0.0")
		if err != nil {
			return false, err.Error()
		}
		return v.Digest == published && v.Tampered == plan.Index.Digest.String(), fmt.Sprintf("digest %s, tampered %q", v.Digest, v.Tampered)
	})
}
