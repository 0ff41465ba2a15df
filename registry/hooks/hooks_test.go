package hooks_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/registry/hooks"
)

const secret = "s3cret-webhook-token"

// calls records the callbacks that fired, as "push repo:tag" and
// "pull repo@digest".
type calls struct {
	mu      sync.Mutex
	got     []string
	pushErr func(repository, tag string) error // nil: pushes succeed
}

func (c *calls) options() hooks.Options {
	return hooks.Options{
		Secret: secret,
		OnPush: func(_ context.Context, repository, tag, _ string) error {
			c.add("push " + repository + ":" + tag)
			if c.pushErr != nil {
				return c.pushErr(repository, tag)
			}
			return nil
		},
		OnPull: func(_ context.Context, repository, digest string) { c.add("pull " + repository + "@" + digest) },
		OnDelete: func(_ context.Context, repository, reference string) error {
			c.add("delete " + repository + " " + reference)
			return nil
		},
		OnManifestPull: func(_ context.Context, repository, digest string) {
			c.add("manifest pull " + repository + "@" + digest)
		},
		ProxyUserAgent: "mpakd-proxy",
		Logger:         slog.New(slog.DiscardHandler),
	}
}

func (c *calls) add(s string) {
	c.mu.Lock()
	c.got = append(c.got, s)
	c.mu.Unlock()
}

func (c *calls) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got)
}

func (c *calls) want(t testing.TB, want ...string) {
	t.Helper()
	if got := c.list(); !slices.Equal(got, want) {
		t.Errorf("callbacks fired:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// post sends body to the handler with an Authorization header (none when
// empty) and returns the status and response body.
func post(t testing.TB, h http.Handler, path, authorization, contentType string, body io.Reader) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, body)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func fixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const (
	distributionType = "application/vnd.docker.distribution.events.v2+json"
	indexDigest      = "sha256:1bc04b5291c26a46d918139138b992d2de976d6851d0893b0476b85bfbdfc6e6"
	manifestDigest   = "sha256:05b3abf2579a5eb66403cd78be557fd860633a1fe2103c7642030defe32c657f"
	layerDigest      = "sha256:dac1d7cfa95021764849fd102524e141488c5e3a90f861dbb5a12d9ac8584f85"
)

// TestDistributionEnvelope: of a push session and a pull session, only the
// tagged index push and the blob GET act; the blob push, untagged manifest
// push, manifest GET, blob HEAD and mount do not.
func TestDistributionEnvelope(t *testing.T) {
	var c calls
	code, body := post(t, hooks.New(c.options()), "/hooks/distribution", "Bearer "+secret, distributionType, strings.NewReader(fixture(t, "distribution-events.json")))
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	c.want(t, "push acme/weather:1.2.3", "pull acme/weather@"+layerDigest)
}

// TestProxiedPullsSkipped: a blob GET that mpakd's proxy made upstream was
// counted by the proxy; its notification must not count it again.
func TestProxiedPullsSkipped(t *testing.T) {
	var c calls
	events := fixture(t, "distribution-events.json")
	n := strings.Count(events, `"method": "GET", "useragent": "mpak"`)
	if n == 0 {
		t.Fatal("fixture has no GET from mpak to rewrite")
	}
	proxied := strings.ReplaceAll(events, `"method": "GET", "useragent": "mpak"`, `"method": "GET", "useragent": "mpak mpakd-proxy"`)
	code, body := post(t, hooks.New(c.options()), "/hooks/distribution", "Bearer "+secret, distributionType, strings.NewReader(proxied))
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	c.want(t, "push acme/weather:1.2.3")
	if !strings.Contains(body, `"proxied":`) {
		t.Errorf("answer %s does not report the proxied pulls skipped", body)
	}
}

func TestHarbor(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		want    string
	}{
		{"harbor-push-artifact.json", "push acme/weather:1.2.3"},
		// Harbor reports the manifest pulled, never a layer.
		{"harbor-pull-artifact.json", "manifest pull acme/weather@" + manifestDigest},
		{"harbor-cloudevents-push.json", "push acme/weather:2.0.0"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			var c calls
			// Harbor sends its "Auth Header" setting verbatim.
			code, body := post(t, hooks.New(c.options()), "/hooks/harbor", secret, "application/json", strings.NewReader(fixture(t, tc.fixture)))
			if code != http.StatusOK {
				t.Fatalf("status %d: %s", code, body)
			}
			c.want(t, tc.want)
		})
	}
}

func TestHarborIgnoresOtherTypes(t *testing.T) {
	var c calls
	payload := strings.Replace(fixture(t, "harbor-push-artifact.json"), "PUSH_ARTIFACT", "SCANNING_COMPLETED", 1)
	if code, body := post(t, hooks.New(c.options()), "/hooks/harbor", secret, "application/json", strings.NewReader(payload)); code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	c.want(t)
}

// TestDeletes: Harbor's DELETE_ARTIFACT names the artifact's digest;
// distribution reports a tag delete by tag and a manifest delete by digest.
// Each is a delete mpakd follows.
func TestDeletes(t *testing.T) {
	var c calls
	h := hooks.New(c.options())
	payload := strings.Replace(fixture(t, "harbor-push-artifact.json"), "PUSH_ARTIFACT", "DELETE_ARTIFACT", 1)
	if code, body := post(t, h, "/hooks/harbor", secret, "application/json", strings.NewReader(payload)); code != http.StatusOK {
		t.Fatalf("Harbor: status %d: %s", code, body)
	}
	events := `{"events":[
{"id":"d1","timestamp":"2026-11-24T10:00:00Z","action":"delete","target":{"repository":"acme/weather","tag":"1.2.3"},"request":{"method":"DELETE"}},
{"id":"d2","timestamp":"2026-11-24T10:00:01Z","action":"delete","target":{"repository":"acme/weather","digest":"` + indexDigest + `"},"request":{"method":"DELETE"}}]}`
	code, body := post(t, h, "/hooks/distribution", "Bearer "+secret, distributionType, strings.NewReader(events))
	if code != http.StatusOK || !strings.Contains(body, `"deleted":2`) {
		t.Fatalf("distribution: status %d: %s", code, body)
	}
	c.want(t, "delete acme/weather "+indexDigest, "delete acme/weather 1.2.3", "delete acme/weather "+indexDigest)
}

func TestUnauthorized(t *testing.T) {
	for _, authorization := range []string{"", "Bearer wrong", "wrong", "Bearer", "Basic " + secret, secret + "x", "Bearer " + secret[:len(secret)-1]} {
		for _, path := range []string{"/hooks/distribution", "/hooks/harbor"} {
			var c calls
			code, body := post(t, hooks.New(c.options()), path, authorization, "application/json", strings.NewReader(fixture(t, "distribution-events.json")))
			if code != http.StatusUnauthorized || !strings.Contains(body, `"code":"UNAUTHORIZED"`) {
				t.Errorf("%s with Authorization %q: %d %s, want 401 UNAUTHORIZED", path, authorization, code, body)
			}
			c.want(t)
		}
	}
}

func TestNoSecretRefusesEverything(t *testing.T) {
	var c calls
	opts := c.options()
	opts.Secret = ""
	for _, authorization := range []string{"", "Bearer ", "Bearer " + secret} {
		code, _ := post(t, hooks.New(opts), "/hooks/distribution", authorization, distributionType, strings.NewReader(fixture(t, "distribution-events.json")))
		if code != http.StatusServiceUnavailable {
			t.Errorf("no secret configured, Authorization %q: status %d, want 503", authorization, code)
		}
	}
	c.want(t)
}

// TestMalformed: a payload that is not JSON, is the wrong shape or names
// something invalid is refused whole, even when its first events are fine.
func TestMalformed(t *testing.T) {
	events := fixture(t, "distribution-events.json")
	harbor := fixture(t, "harbor-push-artifact.json")
	for _, tc := range []struct{ name, path, body string }{
		{"not JSON", "/hooks/distribution", "events: []"},
		{"truncated", "/hooks/distribution", events[:len(events)/2]},
		{"trailing data", "/hooks/distribution", events + "{}"},
		{"no events", "/hooks/distribution", `{}`},
		{"events not an array", "/hooks/distribution", `{"events":{"action":"push"}}`},
		{"harbor payload to distribution", "/hooks/distribution", harbor},
		{"event without action", "/hooks/distribution", `{"events":[{"id":"1","target":{"repository":"acme/weather"}}]}`},
		{"invalid repository after a valid event", "/hooks/distribution", strings.Replace(events, `"repository": "acme/weather",
        "url": "https://registry.example/v2/acme/weather/blobs/sha256:dac1d7cfa95021764849fd102524e141488c5e3a90f861dbb5a12d9ac8584f85"
      },
      "request": {"id": "c3"`, `"repository": "Acme/Weather!",
        "url": "https://registry.example/v2/acme/weather/blobs/sha256:dac1d7cfa95021764849fd102524e141488c5e3a90f861dbb5a12d9ac8584f85"
      },
      "request": {"id": "c3"`, 1)},
		{"invalid digest in a blob GET", "/hooks/distribution", strings.ReplaceAll(events, layerDigest, "sha256:nothex")},
		{"invalid tag", "/hooks/distribution", strings.Replace(events, `"tag": "1.2.3"`, `"tag": "-bad tag"`, 1)},
		{"tag is a number", "/hooks/distribution", strings.Replace(events, `"tag": "1.2.3"`, `"tag": 123`, 1)},
		{"distribution envelope to harbor", "/hooks/harbor", events},
		{"harbor push without event data", "/hooks/harbor", `{"type":"PUSH_ARTIFACT"}`},
		{"harbor push without repository", "/hooks/harbor", `{"type":"PUSH_ARTIFACT","event_data":{"resources":[{"tag":"1.2.3"}],"repository":{}}}`},
		{"harbor pull with a bad digest", "/hooks/harbor", strings.Replace(fixture(t, "harbor-pull-artifact.json"), manifestDigest, "sha256:1234", 1)},
		{"harbor resources not an array", "/hooks/harbor", `{"type":"PUSH_ARTIFACT","event_data":{"resources":{},"repository":{"repo_full_name":"acme/weather"}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c calls
			code, body := post(t, hooks.New(c.options()), tc.path, "Bearer "+secret, "application/json", strings.NewReader(tc.body))
			if code != http.StatusBadRequest || !strings.Contains(body, `"code":"BAD_REQUEST"`) {
				t.Errorf("status %d %s, want 400 BAD_REQUEST", code, body)
			}
			c.want(t)
		})
	}
}

func TestTooLarge(t *testing.T) {
	var c calls
	big := `{"events":[],"padding":"` + strings.Repeat("x", 1<<20) + `"}`
	code, body := post(t, hooks.New(c.options()), "/hooks/distribution", "Bearer "+secret, distributionType, strings.NewReader(big))
	if code != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d %s, want 413", code, body)
	}
	c.want(t)
}

func TestWrongContentType(t *testing.T) {
	var c calls
	code, _ := post(t, hooks.New(c.options()), "/hooks/distribution", "Bearer "+secret, "text/plain", strings.NewReader(fixture(t, "distribution-events.json")))
	if code != http.StatusUnsupportedMediaType {
		t.Errorf("status %d, want 415", code)
	}
	c.want(t)
}

func TestOnlyPost(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/hooks/distribution", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	rec := httptest.NewRecorder()
	var c calls
	hooks.New(c.options()).ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d, want 405", rec.Code)
	}
}

// TestFailedPushIsRetriedWithoutRecounting: a push that cannot be indexed
// answers 500 after the rest of the delivery is processed; the sender's
// retry indexes it and does not count the delivery's pull again.
func TestFailedPushIsRetriedWithoutRecounting(t *testing.T) {
	c := calls{pushErr: func(string, string) error { return errors.New("store unreachable") }}
	h := hooks.New(c.options())
	code, body := post(t, h, "/hooks/distribution", "Bearer "+secret, distributionType, strings.NewReader(fixture(t, "distribution-events.json")))
	if code != http.StatusInternalServerError || !strings.Contains(body, "store unreachable") {
		t.Fatalf("status %d %s, want 500 naming the failure", code, body)
	}
	c.want(t, "push acme/weather:1.2.3", "pull acme/weather@"+layerDigest)

	c.pushErr = nil
	code, body = post(t, h, "/hooks/distribution", "Bearer "+secret, distributionType, strings.NewReader(fixture(t, "distribution-events.json")))
	if code != http.StatusOK {
		t.Fatalf("retry: status %d %s, want 200", code, body)
	}
	c.want(t, "push acme/weather:1.2.3", "pull acme/weather@"+layerDigest, "push acme/weather:1.2.3")
}

// TestResentWhileProcessing: distribution gives up waiting after its
// endpoint timeout and re-sends the delivery while mpakd is still indexing
// the first one. The first must run to its end although its sender left,
// and the re-sent delivery is answered 200 only once the push is indexed:
// a 200 for a push that was then abandoned loses it for good, since
// distribution never sends an answered event again.
func TestResentWhileProcessing(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 2)
	var mu sync.Mutex
	indexed := 0
	opts := hooks.Options{
		Secret: secret,
		OnPush: func(ctx context.Context, _, _, _ string) error {
			entered <- struct{}{}
			<-release // an indexer busy with the upstream, noticing ctx only at its next step
			if err := ctx.Err(); err != nil {
				return err
			}
			mu.Lock()
			indexed++
			mu.Unlock()
			return nil
		},
		Logger: slog.New(slog.DiscardHandler),
	}
	srv := httptest.NewServer(hooks.New(opts))
	defer srv.Close()
	send := func(timeout time.Duration) (int, string, error) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/hooks/distribution", strings.NewReader(fixture(t, "distribution-events.json")))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", distributionType)
		resp, err := (&http.Client{Timeout: timeout}).Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), nil
	}

	if _, _, err := send(300 * time.Millisecond); err == nil {
		t.Fatal("the first delivery was answered, want the sender to time out while the push is indexed")
	}
	<-entered
	type answer struct {
		code int
		body string
		err  error
	}
	resent := make(chan answer, 1)
	go func() {
		code, body, err := send(10 * time.Second)
		resent <- answer{code, body, err}
	}()
	select {
	case a := <-resent:
		// Answered before the first finished: acceptable only as a
		// refusal the sender retries.
		if a.code == http.StatusOK {
			close(release)
			t.Fatalf("the re-sent delivery was answered 200 (%s) while the push was still being indexed", a.body)
		}
	case <-time.After(500 * time.Millisecond):
	}
	close(release)
	a := <-resent
	if a.err != nil || a.code != http.StatusOK {
		t.Fatalf("re-sent delivery: %d %s %v, want 200 once the first indexed the push", a.code, a.body, a.err)
	}
	mu.Lock()
	defer mu.Unlock()
	if indexed != 1 {
		t.Fatalf("the push was indexed %d times, want once: the first delivery's work must outlive its sender", indexed)
	}
}
