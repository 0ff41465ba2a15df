// Package sqlite is the embedded catalog.Store: one database file next to
// the registry's data, no server to run. It uses modernc.org/sqlite (pure
// Go, so mpakd stays a static binary) with FTS5 for search. The catalog's
// queries are index/sqlstore's, in its SQLite dialect; this package opens
// and migrates the file and holds Lock's locks.
//
// The file is in WAL mode: searches read a snapshot while a write is in
// progress. Writes go through a single connection, so concurrent writers
// in one process queue in Go rather than contend for SQLite's lock; other
// processes opening the same file wait up to the busy timeout.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	driver "modernc.org/sqlite" // and registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/sqlstore"
	"github.com/mpak-oci/mpak/registry/internal/keylock"
)

// busyTimeout is how long a statement waits for another process's write
// lock before failing with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// readers is the size of the read pool of a file database.
const readers = 4

// Store is an catalog.Store in a SQLite database.
type Store struct {
	*sqlstore.Store
	// locks are Lock's: this process is the catalog's only writer.
	locks keylock.Locks
}

var _ catalog.Store = (*Store)(nil)

// Open opens (creating and migrating as needed) the database at path. An
// empty path or ":memory:" is a private in-memory database, for tests.
func Open(path string) (*Store, error) {
	ctx := context.Background()
	if path == "" || path == ":memory:" {
		// Every connection to ":memory:" is a database of its own: keep
		// exactly one, forever, and use it for reads too.
		db, err := sql.Open("sqlite", ":memory:?"+writerParams())
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		if err := initialize(ctx, db, "an in-memory database"); err != nil {
			return nil, err
		}
		return &Store{Store: sqlstore.New(db, db, sqlstore.SQLite)}, nil
	}

	// A file: URI, so no character of the path can be read as a parameter.
	uri := "file:" + (&url.URL{Path: path}).EscapedPath()
	db, err := sql.Open("sqlite", uri+"?"+writerParams())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if err := initialize(ctx, db, path); err != nil {
		return nil, err
	}
	// Readers open after the migration, so they find the file in WAL mode
	// with its tables; query_only makes a write through them an error.
	read, err := sql.Open("sqlite", uri+fmt.Sprintf("?_busy_timeout=%d&_query_only=1", busyTimeout.Milliseconds()))
	if err != nil {
		db.Close()
		return nil, err
	}
	read.SetMaxOpenConns(readers)
	read.SetMaxIdleConns(readers)
	return &Store{Store: sqlstore.New(db, read, sqlstore.SQLite)}, nil
}

// writerParams configures the writer connection: BEGIN IMMEDIATE takes the
// write lock when a transaction starts, so a transaction that has read
// cannot fail later upgrading to a writer; synchronous=FULL syncs the WAL
// on every commit, as acknowledged download counts must survive a crash.
func writerParams() string {
	return fmt.Sprintf("_txlock=immediate&_busy_timeout=%d&_foreign_keys=1&_journal_mode=WAL&_synchronous=FULL",
		busyTimeout.Milliseconds())
}

// initialize connects the writer and migrates the schema, closing db on
// failure.
func initialize(ctx context.Context, db *sql.DB, what string) error {
	if err := connect(ctx, db); err != nil {
		db.Close()
		return fmt.Errorf("opening index database %s: %w (check that its directory exists and is writable)", what, err)
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return fmt.Errorf("index database %s: %w", what, err)
	}
	return nil
}

// connect opens the writer's connection. Two processes opening a new file
// at once can both try to switch it to WAL mode, and SQLite fails one of
// them with SQLITE_BUSY at once rather than wait (waiting could deadlock):
// that one tries again, and finds the file in WAL mode.
func connect(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(busyTimeout)
	for {
		err := db.PingContext(ctx)
		var e *driver.Error
		if err == nil || !errors.As(err, &e) || e.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}
