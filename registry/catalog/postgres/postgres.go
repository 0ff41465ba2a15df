// Package postgres is the catalog.Store for several mpakd replicas behind a
// load balancer: they share one PostgreSQL database, so every replica
// serves the same catalog and downloads counted by any of them add up
// exactly. Search is a tsvector per bundle, ranked with ts_rank.
//
// The catalog's queries are index/sqlstore's, in its Postgres dialect;
// this package connects, migrates and holds Lock's advisory locks.
// Replicas coordinate only through the database: migrations run under an
// advisory lock, writers of a repository lock its bundles row, and counts
// are added by upserts that increment in place.
package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/sqlstore"
)

// Store is an catalog.Store in a PostgreSQL database.
type Store struct {
	*sqlstore.Store
	pool *pgxpool.Pool
	// locks holds the sessions of Lock's advisory locks; schema keys them.
	locks  *pgxpool.Pool
	schema string
	// listenConfig connects ChangeNotifications' own connection.
	listenConfig *pgx.ConnConfig
}

var _ catalog.Store = (*Store)(nil)

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
	// database/sql over the pool keeps the DSN's pool settings, and pgx's
	// statement cache: each query text is prepared once per connection.
	db := stdlib.OpenDBFromPool(pool)
	return &Store{Store: sqlstore.New(db, db, sqlstore.Postgres), pool: pool, locks: locks, schema: schema,
		listenConfig: cfg.ConnConfig.Copy()}, nil
}

// Close closes the connections.
func (s *Store) Close() error {
	err := s.Store.Close()
	s.locks.Close()
	s.pool.Close()
	return err
}
