package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// robotMemStore is a RobotStore in memory, counting touches.
type robotMemStore struct {
	mu      sync.Mutex
	rows    []robotRow
	touches int
	fail    error // every call fails with it when set
}

type robotRow struct {
	t    RobotToken
	hash []byte
}

func (s *robotMemStore) CreateRobotToken(_ context.Context, t RobotToken, hash []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.rows {
		if r.t.Name == t.Name && r.t.RevokedAt.IsZero() {
			if r.t.ExpiresAt.IsZero() || t.CreatedAt.Before(r.t.ExpiresAt) {
				return ErrRobotExists
			}
			s.rows[i].t.RevokedAt = t.CreatedAt
		}
	}
	s.rows = append(s.rows, robotRow{t, slices.Clone(hash)})
	return nil
}

func (s *robotMemStore) RobotTokens(context.Context) ([]RobotToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []RobotToken
	for _, r := range s.rows {
		out = append(out, r.t)
	}
	return out, nil
}

func (s *robotMemStore) active(name string) *robotRow {
	for i, r := range s.rows {
		if r.t.Name == name && r.t.RevokedAt.IsZero() {
			return &s.rows[i]
		}
	}
	return nil
}

func (s *robotMemStore) RevokeRobotToken(_ context.Context, name string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.active(name)
	if r == nil {
		return ErrRobotNotFound
	}
	r.t.RevokedAt = at
	return nil
}

func (s *robotMemStore) RobotTokenByHash(_ context.Context, hash []byte) (*RobotToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return nil, s.fail
	}
	for _, r := range s.rows {
		if bytes.Equal(r.hash, hash) {
			t := r.t
			return &t, nil
		}
	}
	return nil, ErrRobotNotFound
}

func (s *robotMemStore) TouchRobotToken(_ context.Context, name string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.active(name)
	if r == nil {
		return ErrRobotNotFound
	}
	r.t.LastUsedAt = at
	s.touches++
	return nil
}

// robotFixture is Robots on a memory store with a settable clock, logging
// into a buffer.
type robotFixture struct {
	store  *robotMemStore
	clock  *clock
	log    *bytes.Buffer
	robots *Robots
}

func newRobotFixture() *robotFixture {
	f := &robotFixture{store: &robotMemStore{}, clock: &clock{t: t0}, log: &bytes.Buffer{}}
	f.robots = NewRobots(RobotOptions{Store: f.store, Now: f.clock.now, Logger: slog.New(slog.NewTextHandler(f.log, nil))})
	return f
}

// create stores a token as mpakd token create does and returns its secret.
func (f *robotFixture) create(t *testing.T, name, scope string, push bool, ttl time.Duration) string {
	t.Helper()
	tok, err := NewRobotToken(name, scope, push, f.clock.t, ttl)
	must(t, err)
	secret, hash, err := NewRobotSecret()
	must(t, err)
	must(t, f.store.CreateRobotToken(t.Context(), tok, hash))
	return secret
}

func (f *robotFixture) authenticate(username, password string) (Principal, error) {
	r := httptest.NewRequest("GET", "/token", nil)
	return f.robots.Authenticate(r, username, password)
}

func TestNewRobotSecret(t *testing.T) {
	a, ha, err := NewRobotSecret()
	must(t, err)
	b, _, err := NewRobotSecret()
	must(t, err)
	if !strings.HasPrefix(a, "mpakd_rt_") || len(a) != len("mpakd_rt_")+43 {
		t.Errorf("secret %q: want mpakd_rt_ and 43 base64url characters", a)
	}
	if strings.ContainsAny(a[len("mpakd_rt_"):], "+/=") {
		t.Errorf("secret %q is not unpadded base64url", a)
	}
	if sum := sha256.Sum256([]byte(a)); !bytes.Equal(ha, sum[:]) {
		t.Error("hash is not the SHA-256 of the whole secret")
	}
	if a == b {
		t.Error("two secrets are equal")
	}
}

func TestNewRobotToken(t *testing.T) {
	tok, err := NewRobotToken("ci", "acme/*", true, t0, 90*24*time.Hour)
	must(t, err)
	if !slices.Equal(tok.Actions, []Action{ActionRead, ActionPush}) {
		t.Errorf("push token actions %v, want read and push: pushing needs reading blobs", tok.Actions)
	}
	if !tok.ExpiresAt.Equal(t0.Add(90*24*time.Hour)) || !tok.CreatedAt.Equal(t0) {
		t.Errorf("created %v expires %v", tok.CreatedAt, tok.ExpiresAt)
	}
	tok, err = NewRobotToken("ci.pull-only_2", "**", false, t0, 0)
	must(t, err)
	if !slices.Equal(tok.Actions, []Action{ActionRead}) || !tok.ExpiresAt.IsZero() {
		t.Errorf("read token: actions %v expires %v, want read, never", tok.Actions, tok.ExpiresAt)
	}
	for _, c := range []struct {
		name, scope string
		ttl         time.Duration
		want        string
	}{
		{"", "acme/*", 0, "letters, digits"},
		{"ci:x", "acme/*", 0, "letters, digits"},
		{"-ci", "acme/*", 0, "starting with a letter or digit"},
		{strings.Repeat("a", 65), "acme/*", 0, "1 to 64"},
		{"ci", "Acme/*", 0, "lower-case"},
		{"ci", "acme//x", 0, "empty path component"},
		{"ci", "", 0, "empty repository glob"},
		{"ci", "acme/*", -time.Hour, "never expires"},
	} {
		if _, err := NewRobotToken(c.name, c.scope, false, t0, c.ttl); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewRobotToken(%q, %q, ttl %v) = %v, want an error saying %q", c.name, c.scope, c.ttl, err, c.want)
		}
	}
}

func TestRobotTokenStatus(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		name string
		tok  RobotToken
		want string
	}{
		{"never expires", RobotToken{CreatedAt: t0}, RobotActive},
		{"not yet expired", RobotToken{ExpiresAt: t0.Add(day)}, RobotActive},
		{"expired", RobotToken{ExpiresAt: t0}, RobotExpired},
		{"revoked", RobotToken{RevokedAt: t0.Add(-day)}, RobotRevoked},
		{"revoked, then its expiry passed", RobotToken{RevokedAt: t0.Add(-2 * day), ExpiresAt: t0.Add(-day)}, RobotRevoked},
		{"retired after it expired", RobotToken{ExpiresAt: t0.Add(-2 * day), RevokedAt: t0.Add(-day)}, RobotExpired},
	} {
		if got := c.tok.Status(t0); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// robotPolicy gives users who log in everything everywhere, and names the
// robot's principal as an admin: a robot token still gets only its scope.
const robotPolicy = `repositories:
  "**":
    anonymous: []
    authenticated: [read, push, delete]
  "acme/**":
    anonymous: []
    authenticated: [read, push, delete]
admin:
  users: ["robot:ci"]
  actions: [read, push, delete]
`

func TestRobotGetsExactlyItsScope(t *testing.T) {
	f := newRobotFixture()
	secret := f.create(t, "ci", "acme/*", true, 0)
	who, err := f.authenticate("whatever", secret)
	must(t, err)
	if who.Name != "robot:ci" || who.Kind != KindRobot || len(who.Grants) != 1 ||
		who.Grants[0].Pattern() != "acme/*" || !slices.Equal(who.Grants[0].Actions(), []Action{ActionRead, ActionPush}) {
		t.Fatalf("principal %+v, want robot:ci, a robot, granted read and push on acme/*", who)
	}

	p := mustPolicy(t, robotPolicy)
	checkAllowed(t, p, []allowCase{
		{who, "acme/weather", ActionRead, true},
		{who, "acme/weather", ActionPush, true},
		{who, "acme/weather", ActionDelete, false},
		{who, "acme/weather/nested", ActionRead, false}, // "*" stays within one component
		{who, "other/tool", ActionRead, false},
		{who, "other/tool", ActionPush, false},
		{Principal{Name: "robot:ci"}, "other/tool", ActionDelete, true}, // the same name as a user is the admin
	})

	// The token endpoint and the middleware agree.
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "htpasswd"), "alice:"+bcryptHash(t, "pw")+"\n")
	writeFile(t, filepath.Join(dir, "policy.yaml"), robotPolicy)
	files, err := LoadFiles(FilesOptions{HtpasswdPath: filepath.Join(dir, "htpasswd"), PolicyPath: filepath.Join(dir, "policy.yaml")})
	must(t, err)
	got := files.Grant(who, []Access{
		{Type: "repository", Name: "acme/weather", Actions: []string{"pull", "push", "delete"}},
		{Type: "repository", Name: "other/tool", Actions: []string{"pull"}},
	})
	if len(got) != 1 || got[0].Name != "acme/weather" || !slices.Equal(got[0].Actions, []string{"pull", "push"}) {
		t.Errorf("token endpoint grants %+v, want pull and push on acme/weather only", got)
	}
	h := Middleware(okHandler{}, MiddlewareOptions{Files: files, Tokens: newTestTokens(t, TokenOptions{}),
		Authenticator: Chain(f.robots, files), Logger: slog.New(slog.DiscardHandler)})
	for _, c := range []struct {
		method, target string
		status         int
	}{
		{"HEAD", "/v2/acme/weather/blobs/sha256:00", 200},
		{"PUT", "/v2/acme/weather/manifests/1.0.0", 200},
		{"DELETE", "/v2/acme/weather/manifests/1.0.0", 403},
		{"GET", "/v2/other/tool/manifests/1.0.0", 403},
		{"PUT", "/v2/other/tool/manifests/1.0.0", 403},
	} {
		if w := serve(h, c.method, c.target, basic("ci", secret)); w.Code != c.status {
			t.Errorf("robot %s %s: %d %s, want %d", c.method, c.target, w.Code, w.Body, c.status)
		}
	}
	if w := serve(h, "DELETE", "/v2/other/tool/manifests/1.0.0", basic("alice", "pw")); w.Code != 200 {
		t.Errorf("alice, whom the policy lets delete: %d, want 200", w.Code)
	}
}

type okHandler struct{}

func (okHandler) ServeHTTP(http.ResponseWriter, *http.Request) {}

func TestRobotRefusals(t *testing.T) {
	f := newRobotFixture()
	revoked := f.create(t, "old", "acme/*", true, 0)
	must(t, f.store.RevokeRobotToken(t.Context(), "old", t0.Add(time.Hour)))
	expiring := f.create(t, "short", "acme/*", false, time.Hour)
	live := f.create(t, "ci", "acme/*", false, 0)
	unknown, _, err := NewRobotSecret()
	must(t, err)
	f.clock.t = t0.Add(2 * time.Hour)

	for _, c := range []struct {
		name, secret string
		want         error
		says         string
	}{
		{"revoked", revoked, ErrRobotRevoked, `"old" was revoked at 2026-05-01T13:00:00Z`},
		{"expired", expiring, ErrRobotExpired, `"short" expired at 2026-05-01T13:00:00Z`},
		{"unknown", unknown, ErrRobotUnknown, "mpakd token create"},
		{"truncated", live[:len(live)-1], ErrRobotUnknown, "copy the whole secret"},
	} {
		f.log.Reset()
		who, err := f.authenticate("ci", c.secret)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want an error matching %v that says %q", c.name, err, c.want, c.says)
		}
		if !who.Anonymous() {
			t.Errorf("%s: principal %+v, want none", c.name, who)
		}
		if strings.Contains(err.Error(), c.secret[len(RobotSecretPrefix):]) || strings.Contains(f.log.String(), c.secret[len(RobotSecretPrefix):]) {
			t.Errorf("%s: the secret is echoed:\n%v\n%s", c.name, err, f.log)
		}
		if !strings.Contains(f.log.String(), "robot token refused") {
			t.Errorf("%s: refusal not logged:\n%s", c.name, f.log)
		}
	}

	if _, err := f.authenticate("alice", "alice-pw"); !errors.Is(err, ErrNotMine) {
		t.Errorf("a password without the prefix: %v, want ErrNotMine (for the htpasswd users)", err)
	}

	f.store.fail = errors.New("connection refused")
	if _, err := f.authenticate("ci", live); err == nil || strings.Contains(err.Error(), "connection refused") {
		t.Errorf("store down: %v, want a refusal that does not tell the client the database error", err)
	}
	f.store.fail = nil
	f.log.Reset()
	if _, err := f.authenticate("ci", live); err != nil {
		t.Fatalf("the live token: %v", err)
	}
	if l := f.log.String(); !strings.Contains(l, "robot token used") || !strings.Contains(l, "name=ci") || !strings.Contains(l, "scope=acme/*") {
		t.Errorf("no audit line naming the token and its scope:\n%s", l)
	}
}

// Pulls authenticate often: the store hears of a token's use once a
// minute.
func TestRobotTouchOncePerMinute(t *testing.T) {
	f := newRobotFixture()
	secret := f.create(t, "ci", "acme/*", false, 0)
	for i := range 5 {
		f.clock.t = t0.Add(time.Duration(i) * 10 * time.Second)
		_, err := f.authenticate("ci", secret)
		must(t, err)
	}
	if f.store.touches != 1 {
		t.Errorf("%d touches in 40s, want 1", f.store.touches)
	}
	f.clock.t = t0.Add(time.Minute)
	_, err := f.authenticate("ci", secret)
	must(t, err)
	toks, _ := f.store.RobotTokens(t.Context())
	if f.store.touches != 2 || !toks[0].LastUsedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("after a minute: %d touches, last used %v; want 2, %v", f.store.touches, toks[0].LastUsedAt, t0.Add(time.Minute))
	}
}

// A row edited to give delete, or push without read, gives no more than
// mpakd token create can.
func TestRobotStoredActionsAreBounded(t *testing.T) {
	f := newRobotFixture()
	secret, hash, err := NewRobotSecret()
	must(t, err)
	must(t, f.store.CreateRobotToken(t.Context(), RobotToken{Name: "ci", Scope: "acme/*", Actions: []Action{ActionPush}, CreatedAt: t0}, hash))
	who, err := f.authenticate("ci", secret)
	must(t, err)
	if !slices.Equal(who.Grants[0].Actions(), []Action{ActionRead, ActionPush}) {
		t.Errorf("push alone grants %v, want read and push", who.Grants[0].Actions())
	}
	secret, hash, err = NewRobotSecret()
	must(t, err)
	must(t, f.store.CreateRobotToken(t.Context(), RobotToken{Name: "admin", Scope: "**", Actions: []Action{ActionRead, ActionDelete}, CreatedAt: t0}, hash))
	if _, err := f.authenticate("admin", secret); err == nil || !strings.Contains(err.Error(), "never delete") {
		t.Errorf("a token with delete: %v, want refused", err)
	}
}
