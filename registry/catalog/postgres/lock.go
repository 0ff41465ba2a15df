package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// lockConns bounds the connections held by Lock: each held or awaited lock
// keeps one session. They come from a pool of their own, so a holder that
// writes the catalog under its lock never waits for a connection that
// waiters of another lock are sitting on.
const lockConns = 8

// Lock takes a session-level advisory lock on key, so every replica on
// this database sees it, and holds its connection until unlock: a replica
// that dies drops the connection, and PostgreSQL releases the lock.
// Keys are hashed to the lock's 64 bits with the schema, so catalogs in
// other schemas of the database never wait for each other; two keys that
// collide only serialise needlessly.
func (s *Store) Lock(ctx context.Context, key string) (func(), error) {
	conn, err := s.locks.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("locking %q: %w", key, err)
	}
	id := lockID(s.schema, key)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, id); err != nil {
		// A wait cancelled as it succeeded could leave the lock held by
		// the session: closing it is the one sure release.
		conn.Conn().Close(context.Background())
		conn.Release()
		return nil, fmt.Errorf("locking %q: %w", key, err)
	}
	released := false
	return func() {
		if released {
			return
		}
		released = true
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var ok bool
		if err := conn.QueryRow(ctx, `SELECT pg_advisory_unlock($1)`, id).Scan(&ok); err != nil || !ok {
			conn.Conn().Close(ctx)
		}
		conn.Release()
	}, nil
}

func lockID(schema, key string) int64 {
	h := fnv.New64a()
	h.Write([]byte(schema))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return int64(h.Sum64())
}

// openLocks opens Lock's pool on the same database.
func openLocks(ctx context.Context, cfg *pgxpool.Config) (*pgxpool.Pool, error) {
	cfg = cfg.Copy()
	cfg.MaxConns = lockConns
	cfg.MinConns = 0
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, errors.Join(errors.New("opening the lock connections"), err)
	}
	return pool, nil
}
