// Package sqlstore is the index.Store written once against database/sql,
// for the SQL databases mpakd runs on: index/sqlite and index/postgres open
// their database, migrate it and choose a Dialect, and this package does
// the rest. Queries are written with ? placeholders; the Dialect rebinds
// them and supplies the few statements that truly differ (full-text
// search, batched download counts, the search documents' upkeep).
//
// Writers of a repository's versions lock its bundles row first (on
// SQLite, where one connection writes, the lock is the write transaction
// itself), so concurrent puts and deletes apply one after the other and
// the last one computes the latest version from everything committed.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Store is an index.Store in a SQL database. It does not implement Lock:
// how to hold a lock among every process sharing the database is the
// opening package's business.
type Store struct {
	db   *sql.DB // the writer
	read *sql.DB // the readers: db itself unless the database has a pool of its own for them
	d    Dialect
	now  func() time.Time

	// versionColumns selects a version (aliased v); see versionColumns.
	versionColumns string
}

// New is a Store on db, reading through read (which may be db). Both are
// migrated already; the Store closes them.
func New(db, read *sql.DB, d Dialect) *Store {
	return &Store{db: db, read: read, d: d, now: time.Now, versionColumns: versionColumns(d)}
}

// Close closes the databases.
func (s *Store) Close() error {
	err := s.db.Close()
	if s.read != s.db {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// write runs fn in a writer's transaction.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, s.d.writeTx())
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// exec, query and queryRow run a query written with ? placeholders.
func (s *Store) exec(ctx context.Context, q querier, query string, args ...any) (sql.Result, error) {
	return q.ExecContext(ctx, s.d.rebind(query), args...)
}

func (s *Store) query(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	return q.QueryContext(ctx, s.d.rebind(query), args...)
}

func (s *Store) queryRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	return q.QueryRowContext(ctx, s.d.rebind(query), args...)
}
