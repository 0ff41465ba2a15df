package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mpak-oci/mpak/registry/auth"
)

var (
	_ auth.RobotStore = (*Store)(nil)
	_ auth.KeyStore   = (*Store)(nil)
)

// CreateRobotToken stores t, retiring an expired token of its name first.
// Two replicas creating one name at once both reach the insert; the
// unique index on unrevoked names makes the second wait for the first and
// then insert nothing.
func (s *Store) CreateRobotToken(ctx context.Context, t auth.RobotToken, hash []byte) error {
	actions, err := json.Marshal(t.Actions)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE robot_tokens SET revoked_at = $2
			WHERE name = $1 AND revoked_at IS NULL AND expires_at IS NOT NULL AND expires_at <= $2`,
			t.Name, t.CreatedAt); err != nil {
			return fmt.Errorf("robot token %s: %w", t.Name, err)
		}
		// Only the unique index on unrevoked names can conflict: the
		// hash is of 256 random bits.
		tag, err := tx.Exec(ctx, `INSERT INTO robot_tokens
			(name, token_hash, scope, actions, created_at, expires_at, last_used_at, revoked_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
			t.Name, hash, t.Scope, actions, t.CreatedAt, timestamp(t.ExpiresAt), timestamp(t.LastUsedAt), timestamp(t.RevokedAt))
		if err != nil {
			return fmt.Errorf("robot token %s: %w", t.Name, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("robot token %s: %w", t.Name, auth.ErrRobotExists)
		}
		return nil
	})
}

const robotColumns = `name, scope, actions, created_at, expires_at, last_used_at, revoked_at`

func scanRobot(row pgx.Row) (*auth.RobotToken, error) {
	var (
		t                          auth.RobotToken
		actions                    []byte
		expires, lastUsed, revoked *time.Time
	)
	if err := row.Scan(&t.Name, &t.Scope, &actions, &t.CreatedAt, &expires, &lastUsed, &revoked); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(actions, &t.Actions); err != nil {
		return nil, fmt.Errorf("robot token %s: actions: %w", t.Name, err)
	}
	t.CreatedAt = t.CreatedAt.UTC()
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = utc(expires), utc(lastUsed), utc(revoked)
	return &t, nil
}

// utc reads a nullable time; NULL is the zero time.
func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// RobotTokens lists every token, revoked ones too.
func (s *Store) RobotTokens(ctx context.Context) ([]auth.RobotToken, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+robotColumns+` FROM robot_tokens ORDER BY name, created_at, id`)
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

// RobotTokenByHash finds a token by its secret's hash, on every call: a
// revocation through any replica holds on all of them from the next
// lookup.
func (s *Store) RobotTokenByHash(ctx context.Context, hash []byte) (*auth.RobotToken, error) {
	t, err := scanRobot(s.pool.QueryRow(ctx, `SELECT `+robotColumns+` FROM robot_tokens WHERE token_hash = $1`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
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
	tag, err := s.pool.Exec(ctx, `UPDATE robot_tokens SET `+column+` = $2 WHERE name = $1 AND revoked_at IS NULL`, name, at)
	if err != nil {
		return fmt.Errorf("robot token %s: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("robot token %s: %w", name, auth.ErrRobotNotFound)
	}
	return nil
}

// tokenKeyName is the auth_keys row of the token signing key.
const tokenKeyName = "token"

// TokenKey returns the stored signing key, storing generate's first.
// Replicas starting together may all generate one: the insert keeps the
// first to commit (the others wait for it, then insert nothing), and the
// read after it returns that one to each.
func (s *Store) TokenKey(ctx context.Context, generate func() ([]byte, error)) ([]byte, error) {
	var pem string
	err := s.pool.QueryRow(ctx, `SELECT pem FROM auth_keys WHERE name = $1`, tokenKeyName).Scan(&pem)
	if err == nil {
		return []byte(pem), nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("reading the token key: %w", err)
	}
	data, err := generate()
	if err != nil {
		return nil, err
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO auth_keys (name, pem) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
		tokenKeyName, string(data)); err != nil {
		return nil, fmt.Errorf("storing the token key: %w", err)
	}
	if err := s.pool.QueryRow(ctx, `SELECT pem FROM auth_keys WHERE name = $1`, tokenKeyName).Scan(&pem); err != nil {
		return nil, fmt.Errorf("reading the token key: %w", err)
	}
	return []byte(pem), nil
}
