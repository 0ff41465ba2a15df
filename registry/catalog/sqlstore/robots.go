package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mpak-oci/mpak/registry/auth"
)

var (
	_ auth.RobotStore = (*Store)(nil)
	_ auth.KeyStore   = (*Store)(nil)
)

// CreateRobotToken stores t, retiring an expired token of its name first.
// Two processes creating one name at once both reach the insert; the
// unique index on unrevoked names makes the second wait for the first and
// then insert nothing.
func (s *Store) CreateRobotToken(ctx context.Context, t auth.RobotToken, hash []byte) error {
	actions, err := json.Marshal(t.Actions)
	if err != nil {
		return err
	}
	created := s.d.time(t.CreatedAt)
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, `UPDATE robot_tokens SET revoked_at = ?
			WHERE name = ? AND revoked_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ?`,
			created, t.Name, created); err != nil {
			return fmt.Errorf("robot token %s: %w", t.Name, err)
		}
		// Only the unique index on unrevoked names can conflict: the
		// hash is of 256 random bits.
		res, err := s.exec(ctx, tx, `INSERT INTO robot_tokens
			(name, token_hash, scope, actions, created_at, expires_at, last_used_at, revoked_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			t.Name, hash, t.Scope, s.d.json(actions), created,
			s.d.nullTime(t.ExpiresAt), s.d.nullTime(t.LastUsedAt), s.d.nullTime(t.RevokedAt))
		if err != nil {
			return fmt.Errorf("robot token %s: %w", t.Name, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("robot token %s: %w", t.Name, auth.ErrRobotExists)
		}
		return nil
	})
}

const robotColumns = `name, scope, actions, created_at, expires_at, last_used_at, revoked_at`

func scanRobot(row scanner) (*auth.RobotToken, error) {
	var (
		t                                   auth.RobotToken
		actions                             []byte
		created, expires, lastUsed, revoked timeValue
	)
	if err := row.Scan(&t.Name, &t.Scope, &actions, &created, &expires, &lastUsed, &revoked); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(actions, &t.Actions); err != nil {
		return nil, fmt.Errorf("robot token %s: actions: %w", t.Name, err)
	}
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt = created.Time, expires.Time, lastUsed.Time, revoked.Time
	return &t, nil
}

// RobotTokens lists every token, revoked ones too.
func (s *Store) RobotTokens(ctx context.Context) ([]auth.RobotToken, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+robotColumns+` FROM robot_tokens ORDER BY name, created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("listing robot tokens: %w", err)
	}
	defer rows.Close()
	out := []auth.RobotToken{}
	for rows.Next() {
		t, err := scanRobot(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

// RobotTokenByHash finds a token by its secret's hash, on every call:
// each statement sees the last commit, so a revocation by any process
// (mpakd token revoke, another replica) holds from the next lookup.
func (s *Store) RobotTokenByHash(ctx context.Context, hash []byte) (*auth.RobotToken, error) {
	t, err := scanRobot(s.queryRow(ctx, s.read, `SELECT `+robotColumns+` FROM robot_tokens WHERE token_hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, auth.ErrRobotNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("looking up a robot token: %w", err)
	}
	return t, nil
}

// RevokeRobotToken revokes the unrevoked token named name.
func (s *Store) RevokeRobotToken(ctx context.Context, name string, at time.Time) error {
	return s.updateActiveRobot(ctx, name, `revoked_at`, at)
}

// TouchRobotToken records the unrevoked token's use.
func (s *Store) TouchRobotToken(ctx context.Context, name string, at time.Time) error {
	return s.updateActiveRobot(ctx, name, `last_used_at`, at)
}

func (s *Store) updateActiveRobot(ctx context.Context, name, column string, at time.Time) error {
	res, err := s.exec(ctx, s.db, `UPDATE robot_tokens SET `+column+` = ? WHERE name = ? AND revoked_at IS NULL`, s.d.time(at), name)
	if err != nil {
		return fmt.Errorf("robot token %s: %w", name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("robot token %s: %w", name, auth.ErrRobotNotFound)
	}
	return nil
}

// tokenKeyName is the auth_keys row of the token signing key.
const tokenKeyName = "token"

// TokenKey returns the stored signing key, storing generate's first.
// Processes starting together may all generate one: the insert keeps the
// first to commit (the others insert nothing), and the read after it
// returns that one to each.
func (s *Store) TokenKey(ctx context.Context, generate func() ([]byte, error)) ([]byte, error) {
	var pem string
	err := s.queryRow(ctx, s.db, `SELECT pem FROM auth_keys WHERE name = ?`, tokenKeyName).Scan(&pem)
	if err == nil {
		return []byte(pem), nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("reading the token key: %w", err)
	}
	data, err := generate()
	if err != nil {
		return nil, err
	}
	if _, err := s.exec(ctx, s.db, `INSERT INTO auth_keys (name, pem) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
		tokenKeyName, string(data)); err != nil {
		return nil, fmt.Errorf("storing the token key: %w", err)
	}
	if err := s.queryRow(ctx, s.db, `SELECT pem FROM auth_keys WHERE name = ?`, tokenKeyName).Scan(&pem); err != nil {
		return nil, fmt.Errorf("reading the token key: %w", err)
	}
	return []byte(pem), nil
}
