// Package postgres is the index.Store for several mpakd replicas behind a
// load balancer: they share one PostgreSQL database, so every replica
// serves the same catalog and downloads counted by any of them add up
// exactly. Search is a tsvector per bundle, ranked with ts_rank.
//
// Replicas coordinate only through the database: migrations run under an
// advisory lock, writers of a repository lock its bundles row, and counts
// are added by upserts that increment in place.
package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mpak-oci/mpak/registry/index"
)

// Store is an index.Store in a PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
	// locks holds the sessions of Lock's advisory locks; schema keys them.
	locks  *pgxpool.Pool
	schema string
	now    func() time.Time
}

var _ index.Store = (*Store)(nil)

// Open connects to the database dsn names and migrates its schema. The DSN
// is a URL (postgres://user:password@host:5432/database?sslmode=disable)
// or key=value pairs, as libpq takes them; tables live in the first schema
// of its search_path, so search_path=mpak (a URL parameter) keeps them out
// of public. Pool settings such as pool_max_conns are accepted too.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL DSN: %w (want postgres://user:password@host:5432/database)", err)
	}
	where := fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL at %s: %w", where, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to PostgreSQL at %s: %w (check that it is running and the DSN's user, password and database)", where, err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("PostgreSQL at %s: %w", where, err)
	}
	var schema string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("PostgreSQL at %s: %w", where, err)
	}
	locks, err := openLocks(ctx, cfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("PostgreSQL at %s: %w", where, err)
	}
	return &Store{pool: pool, locks: locks, schema: schema, now: time.Now}, nil
}

// Close closes the connections.
func (s *Store) Close() error {
	s.locks.Close()
	s.pool.Close()
	return nil
}

// write runs fn in a read-committed transaction. Statements in it see what
// other transactions committed before each statement began, which is what
// lets a writer that waited for a bundles row lock then read the versions
// the previous holder wrote.
func (s *Store) write(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, fn)
}
