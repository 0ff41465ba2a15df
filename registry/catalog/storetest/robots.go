package storetest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/registry/auth"
	"github.com/mpak-oci/mpak/registry/catalog"
)

// robotHash is a hash as auth.NewRobotSecret makes them, named by s.
func robotHash(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

func robotStore(t *testing.T, s catalog.Store) auth.RobotStore {
	t.Helper()
	rs, ok := s.(auth.RobotStore)
	if !ok {
		t.Fatalf("%T does not implement auth.RobotStore: mpakd token and robot logins need it", s)
	}
	return rs
}

func wantRobot(t *testing.T, what string, got *auth.RobotToken, want auth.RobotToken) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: no token", what)
	}
	if got.Name != want.Name || got.Scope != want.Scope || !slices.Equal(got.Actions, want.Actions) ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) ||
		!got.LastUsedAt.Equal(want.LastUsedAt) || !got.RevokedAt.Equal(want.RevokedAt) {
		t.Errorf("%s:\ngot  %+v\nwant %+v", what, *got, want)
	}
	for _, tm := range []time.Time{got.CreatedAt, got.ExpiresAt, got.LastUsedAt, got.RevokedAt} {
		if !tm.IsZero() && tm.Location() != time.UTC {
			t.Errorf("%s: time %v is not UTC", what, tm)
		}
	}
}

// Robot tokens: one active token per name, found by hash, touched,
// revoked (and kept, for the audit trail), the name then free again; an
// expired token's name is free too.
func testRobotTokens(t *testing.T, s catalog.Store) {
	rs := robotStore(t, s)
	c := ctx(t)
	ci := auth.RobotToken{Name: "ci", Scope: "acme/*", Actions: []auth.Action{auth.ActionRead, auth.ActionPush},
		CreatedAt: t0, ExpiresAt: t0.Add(90 * 24 * time.Hour)}
	if err := rs.CreateRobotToken(c, ci, robotHash("ci-1")); err != nil {
		t.Fatal(err)
	}
	other := auth.RobotToken{Name: "mirror", Scope: "**", Actions: []auth.Action{auth.ActionRead}, CreatedAt: t0.Add(time.Second)}
	if err := rs.CreateRobotToken(c, other, robotHash("mirror-1")); err != nil {
		t.Fatal(err)
	}
	dup := ci
	dup.CreatedAt = t0.Add(time.Minute)
	if err := rs.CreateRobotToken(c, dup, robotHash("ci-2")); !errors.Is(err, auth.ErrRobotExists) {
		t.Errorf("a second active ci: %v, want an error matching auth.ErrRobotExists", err)
	}

	got, err := rs.RobotTokenByHash(c, robotHash("ci-1"))
	if err != nil {
		t.Fatal(err)
	}
	wantRobot(t, "by hash", got, ci)
	if _, err := rs.RobotTokenByHash(c, robotHash("ci-2")); !errors.Is(err, auth.ErrRobotNotFound) {
		t.Errorf("the refused duplicate's hash: %v, want auth.ErrRobotNotFound", err)
	}

	used := t0.Add(time.Hour + 123456*time.Microsecond)
	if err := rs.TouchRobotToken(c, "ci", used); err != nil {
		t.Fatal(err)
	}
	ci.LastUsedAt = used
	got, err = rs.RobotTokenByHash(c, robotHash("ci-1"))
	if err != nil {
		t.Fatal(err)
	}
	wantRobot(t, "touched", got, ci)
	if err := rs.TouchRobotToken(c, "nobody", used); !errors.Is(err, auth.ErrRobotNotFound) {
		t.Errorf("touching an unknown name: %v, want auth.ErrRobotNotFound", err)
	}

	revoked := t0.Add(2 * time.Hour)
	if err := rs.RevokeRobotToken(c, "ci", revoked); err != nil {
		t.Fatal(err)
	}
	ci.RevokedAt = revoked
	got, err = rs.RobotTokenByHash(c, robotHash("ci-1"))
	if err != nil {
		t.Fatalf("a revoked token's lookup: %v, want the token, marked revoked", err)
	}
	wantRobot(t, "revoked", got, ci)
	if err := rs.RevokeRobotToken(c, "ci", revoked); !errors.Is(err, auth.ErrRobotNotFound) {
		t.Errorf("revoking twice: %v, want auth.ErrRobotNotFound", err)
	}
	if err := rs.TouchRobotToken(c, "ci", revoked.Add(time.Minute)); !errors.Is(err, auth.ErrRobotNotFound) {
		t.Errorf("touching a revoked token: %v, want auth.ErrRobotNotFound", err)
	}

	// The name is free again; the revoked token stays on the list.
	ci2 := auth.RobotToken{Name: "ci", Scope: "acme/**", Actions: []auth.Action{auth.ActionRead}, CreatedAt: t0.Add(3 * time.Hour)}
	if err := rs.CreateRobotToken(c, ci2, robotHash("ci-3")); err != nil {
		t.Fatalf("reusing a revoked token's name: %v", err)
	}
	// An expired token's name is free as well, the expired one retired.
	short := auth.RobotToken{Name: "short", Scope: "acme/x", Actions: []auth.Action{auth.ActionRead}, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if err := rs.CreateRobotToken(c, short, robotHash("short-1")); err != nil {
		t.Fatal(err)
	}
	short2 := short
	short2.CreatedAt, short2.ExpiresAt = t0.Add(30*time.Minute), time.Time{}
	if err := rs.CreateRobotToken(c, short2, robotHash("short-2")); !errors.Is(err, auth.ErrRobotExists) {
		t.Errorf("a name whose token has not expired yet: %v, want auth.ErrRobotExists", err)
	}
	short2.CreatedAt = t0.Add(time.Hour)
	if err := rs.CreateRobotToken(c, short2, robotHash("short-2")); err != nil {
		t.Fatalf("reusing an expired token's name: %v", err)
	}
	short.RevokedAt = short2.CreatedAt

	list, err := rs.RobotTokens(c)
	if err != nil {
		t.Fatal(err)
	}
	want := []auth.RobotToken{ci, ci2, other, short, short2}
	if len(list) != len(want) {
		t.Fatalf("RobotTokens: %d tokens, want %d: %+v", len(list), len(want), list)
	}
	for i := range want {
		wantRobot(t, "RobotTokens["+want[i].Name+"]", &list[i], want[i])
	}
	if st := list[3].Status(t0.Add(2 * time.Hour)); st != auth.RobotExpired {
		t.Errorf("the retired expired token's status: %s, want %s", st, auth.RobotExpired)
	}
}

// Replicas starting on an empty database agree on one token key.
func testTokenKey(t *testing.T, s catalog.Store) {
	ks, ok := s.(auth.KeyStore)
	if !ok {
		t.Fatalf("%T does not implement auth.KeyStore: replicas need a shared token key", s)
	}
	var (
		wg        sync.WaitGroup
		got       [2][]byte
		errs      [2]error
		generated atomic.Int32
	)
	// Each generator waits for the other, so both replicas have found no
	// key and both insert: the store, not luck, must make them agree. A
	// store that serialises the whole call makes the first wait time out.
	both := make(chan struct{})
	start := make(chan struct{})
	for i := range got {
		wg.Go(func() {
			<-start
			got[i], errs[i] = ks.TokenKey(ctx(t), func() ([]byte, error) {
				if generated.Add(1) == 2 {
					close(both)
				}
				select {
				case <-both:
				case <-time.After(2 * time.Second):
				}
				return []byte("key of replica " + string(rune('A'+i))), nil
			})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
	if !bytes.Equal(got[0], got[1]) {
		t.Fatalf("replicas got different keys: %q and %q", got[0], got[1])
	}
	if !bytes.HasPrefix(got[0], []byte("key of replica ")) {
		t.Errorf("key %q is not what a generator made", got[0])
	}
	again, err := ks.TokenKey(ctx(t), func() ([]byte, error) {
		t.Error("generated a key when one was stored")
		return []byte("another"), nil
	})
	if err != nil || !bytes.Equal(again, got[0]) {
		t.Errorf("the stored key read again: %q, %v; want %q", again, err, got[0])
	}
}
