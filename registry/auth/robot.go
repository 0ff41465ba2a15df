package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// RobotSecretPrefix starts every robot token's secret: Robots claims only
// passwords that carry it, and secret scanners can recognise a leaked one.
const RobotSecretPrefix = "mpakd_rt_"

// robotSecretLen is the prefix and 32 random bytes in unpadded base64url.
var robotSecretLen = len(RobotSecretPrefix) + base64.RawURLEncoding.EncodedLen(32)

// RobotToken is a credential for CI: a name, the repositories it reaches
// and what it may do there. Its secret is never stored, only its hash.
type RobotToken struct {
	Name string
	// Scope is a repository glob in the policy's syntax.
	Scope   string
	Actions []Action
	// CreatedAt is when it was made; ExpiresAt when it stops working (zero:
	// never); LastUsedAt when it last authenticated (to within a minute;
	// zero: never); RevokedAt when it was revoked (zero: it was not).
	CreatedAt, ExpiresAt, LastUsedAt, RevokedAt time.Time
}

// RobotStore keeps robot tokens: the catalog database, so that every
// replica sees a revocation at once.
type RobotStore interface {
	// CreateRobotToken stores t with the hash of its secret, or fails
	// with ErrRobotExists while an active token has t's name. An expired
	// token of that name is retired (its RevokedAt set to t.CreatedAt).
	CreateRobotToken(ctx context.Context, t RobotToken, hash []byte) error
	// RobotTokens lists every token, revoked ones too (the audit trail),
	// by name then creation.
	RobotTokens(ctx context.Context) ([]RobotToken, error)
	// RevokeRobotToken revokes the unrevoked token named name, or fails
	// with ErrRobotNotFound.
	RevokeRobotToken(ctx context.Context, name string, at time.Time) error
	// RobotTokenByHash returns the token whose secret hashes to hash,
	// revoked or expired as it may be, or ErrRobotNotFound.
	RobotTokenByHash(ctx context.Context, hash []byte) (*RobotToken, error)
	// TouchRobotToken records that the unrevoked token named name was
	// used at at, or fails with ErrRobotNotFound.
	TouchRobotToken(ctx context.Context, name string, at time.Time) error
}

// Errors of a RobotStore.
var (
	ErrRobotExists   = errors.New("an active robot token with this name exists")
	ErrRobotNotFound = errors.New("no such robot token")
)

// Why Robots refuses a secret: Authenticate's errors wrap one of these.
var (
	ErrRobotUnknown = errors.New("unknown robot token")
	ErrRobotRevoked = errors.New("robot token revoked")
	ErrRobotExpired = errors.New("robot token expired")
)

// Robot token statuses, as Status reports them.
const (
	RobotActive  = "active"
	RobotExpired = "expired"
	RobotRevoked = "revoked"
)

// robotName is what a token's name may be: it is typed as a username,
// shown in audit logs as robot:NAME, and never holds a colon (Basic
// credentials split at the first one).
var robotName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// NewRobotToken is a token named name on the repositories scope matches,
// made at now and valid for ttl (0: forever). It may read there, and push
// when push is set: pushing needs reading, as clients check which blobs
// exist first. Robot tokens never delete.
func NewRobotToken(name, scope string, push bool, now time.Time, ttl time.Duration) (RobotToken, error) {
	if !robotName.MatchString(name) {
		return RobotToken{}, fmt.Errorf("robot token name %q: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	if ttl < 0 {
		return RobotToken{}, fmt.Errorf("robot token lifetime %s is negative: use 0 for a token that never expires", ttl)
	}
	actions := []Action{ActionRead}
	if push {
		actions = append(actions, ActionPush)
	}
	t := RobotToken{Name: name, Scope: scope, Actions: actions, CreatedAt: now}
	if ttl > 0 {
		t.ExpiresAt = now.Add(ttl)
	}
	if _, err := t.grant(); err != nil {
		return RobotToken{}, err
	}
	return t, nil
}

// Status is RobotActive, RobotExpired or RobotRevoked at now. A token
// retired after it had expired is expired: it was never revoked while it
// worked.
func (t RobotToken) Status(now time.Time) string {
	expired := !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)
	switch {
	case expired && (t.RevokedAt.IsZero() || !t.RevokedAt.Before(t.ExpiresAt)):
		return RobotExpired
	case !t.RevokedAt.IsZero():
		return RobotRevoked
	}
	return RobotActive
}

// grant is what the token carries. Read comes with push whatever was
// stored, and delete is refused, so a row edited by hand cannot give a
// robot more than mpakd token create could.
func (t RobotToken) grant() (Grant, error) {
	var s actionSet
	for _, a := range t.Actions {
		switch a {
		case ActionRead, ActionPush:
			s |= actionBit(a) | actionBit(ActionRead)
		case ActionDelete:
			return Grant{}, errors.New("robot tokens may read and push, never delete")
		default:
			return Grant{}, fmt.Errorf("unknown action %q: want read or push", a)
		}
	}
	if s == 0 {
		return Grant{}, errors.New("a robot token needs an action: read, or read and push")
	}
	g, err := NewGrant(t.Scope, s.list()...)
	if err != nil {
		return Grant{}, fmt.Errorf("robot token scope %q: %w", t.Scope, err)
	}
	return g, nil
}

// NewRobotSecret makes a token's secret and the hash to store. SHA-256
// without salt or stretching suffices, as for GitHub's tokens: the secret
// is 256 random bits, so no dictionary or brute force reaches it, and a
// fast hash lets a lookup by hash find it.
func NewRobotSecret() (secret string, hash []byte, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, fmt.Errorf("robot token secret: %w", err)
	}
	secret = RobotSecretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, robotHash(secret), nil
}

func robotHash(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// touchEvery bounds how often a token's LastUsedAt is written: a pull
// authenticates many times, and the database need not hear of each.
const touchEvery = time.Minute

// RobotOptions configures Robots.
type RobotOptions struct {
	Store  RobotStore // required
	Now    func() time.Time
	Logger *slog.Logger
}

// Robots authenticates robot tokens: any username (by convention the
// token's name) and a secret from mpakd token create as the password.
// Each check reads the store, with no cache, so a revocation holds at once
// on every replica.
type Robots struct {
	store RobotStore
	now   func() time.Time
	log   *slog.Logger
}

var _ Authenticator = (*Robots)(nil)

// NewRobots checks the options; Store is required.
func NewRobots(opts RobotOptions) *Robots {
	if opts.Store == nil {
		panic("auth.NewRobots: RobotOptions.Store is required")
	}
	r := &Robots{store: opts.Store, now: opts.Now, log: opts.Logger}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	return r
}

// Authenticate claims passwords that start with RobotSecretPrefix. The
// principal is robot:NAME, of KindRobot, carrying exactly the token's
// grant. Refusals say whether the token is unknown, revoked or expired;
// neither they nor the logs ever hold the secret.
func (rb *Robots) Authenticate(r *http.Request, username, password string) (Principal, error) {
	if !strings.HasPrefix(password, RobotSecretPrefix) {
		return Principal{}, ErrNotMine
	}
	ctx := r.Context()
	refuse := func(name string, err error) (Principal, error) {
		rb.log.Warn("robot token refused", "name", name, "username", username, "reason", err.Error(), "remote", r.RemoteAddr)
		return Principal{}, err
	}
	if len(password) != robotSecretLen {
		// Not one we made (truncated in a copy, say): no need to ask the
		// database.
		return refuse("", fmt.Errorf("%w: a robot token secret is %d characters, this one %d; copy the whole secret", ErrRobotUnknown, robotSecretLen, len(password)))
	}
	t, err := rb.store.RobotTokenByHash(ctx, robotHash(password))
	if errors.Is(err, ErrRobotNotFound) {
		return refuse("", fmt.Errorf("%w: no token has this secret; create one with mpakd token create", ErrRobotUnknown))
	}
	if err != nil {
		rb.log.Error("robot token lookup failed", "username", username, "err", err, "remote", r.RemoteAddr)
		return Principal{}, errors.New("robot tokens cannot be checked now (the catalog database failed); try again")
	}
	now := rb.now()
	switch t.Status(now) {
	case RobotRevoked:
		return refuse(t.Name, fmt.Errorf("%w: %q was revoked at %s; create a new one with mpakd token create",
			ErrRobotRevoked, t.Name, t.RevokedAt.UTC().Format(time.RFC3339)))
	case RobotExpired:
		return refuse(t.Name, fmt.Errorf("%w: %q expired at %s; create a new one with mpakd token create",
			ErrRobotExpired, t.Name, t.ExpiresAt.UTC().Format(time.RFC3339)))
	}
	g, err := t.grant()
	if err != nil {
		rb.log.Error("robot token refused: its stored row is invalid", "name", t.Name, "err", err)
		return Principal{}, fmt.Errorf("robot token %q is invalid (%v): revoke it and create another", t.Name, err)
	}
	if now.Sub(t.LastUsedAt) >= touchEvery {
		// A failed write costs only the precision of LastUsedAt: the
		// token is good, and the client is let in.
		if err := rb.store.TouchRobotToken(context.WithoutCancel(ctx), t.Name, now); err != nil {
			rb.log.Warn("robot token: recording its use failed", "name", t.Name, "err", err)
		}
	}
	rb.log.Info("robot token used", "name", t.Name, "scope", t.Scope, "actions", describeActions(g.Actions()), "remote", r.RemoteAddr)
	return Principal{Name: "robot:" + t.Name, Kind: KindRobot, Grants: []Grant{g}}, nil
}
