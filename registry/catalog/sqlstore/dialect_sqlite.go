package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/internal/fulltext"
)

// SQLite is the dialect of modernc.org/sqlite, on the schema of
// index/sqlite's migrations: times are Unix microseconds (PostgreSQL's
// precision, so both dialects return the same values), days are
// 'YYYY-MM-DD' text, JSON is text, and search documents are rows of the
// FTS5 table bundle_text.
var SQLite Dialect = sqliteDialect{}

type sqliteDialect struct{}

func (sqliteDialect) rebind(query string) string { return query }

// writeTx is the driver's default: the connection opens its transactions
// with BEGIN IMMEDIATE, which is what serialises writers.
func (sqliteDialect) writeTx() *sql.TxOptions { return nil }

// snapshotTx: a read transaction on SQLite (WAL) sees one snapshot from
// its first read on.
func (sqliteDialect) snapshotTx() *sql.TxOptions { return &sql.TxOptions{ReadOnly: true} }

// notifyChange has nothing to do: one process writes an SQLite catalog,
// and it tells its own engine.
func (sqliteDialect) notifyChange(context.Context, *sql.Tx) error { return nil }

func (sqliteDialect) time(t time.Time) any { return t.UnixMicro() }

func (d sqliteDialect) nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return d.time(t)
}

func (sqliteDialect) json(doc []byte) any { return string(doc) }

// forUpdate is nothing: the write transaction holds the whole database.
func (sqliteDialect) forUpdate() string { return `` }

func (sqliteDialect) jsonArrayAgg() string { return `json_group_array` }
func (sqliteDialect) jsonObject() string   { return `json_object` }

func (sqliteDialect) contains(haystack, needle string) string {
	return `instr(` + haystack + `, ` + needle + `) > 0`
}

// nullsLast is nothing: SQLite sorts NULLs first ascending, so last
// descending.
func (sqliteDialect) nullsLast() string { return `` }

// addDownloads runs one prepared upsert per count: statements cost no
// round trip in an embedded database.
func (sqliteDialect) addDownloads(ctx context.Context, tx *sql.Tx, ds []catalog.Download) error {
	add, err := tx.PrepareContext(ctx, `INSERT INTO downloads (repository, version, platform, day, count)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (repository, version, platform, day) DO UPDATE SET count = count + excluded.count`)
	if err != nil {
		return err
	}
	defer add.Close()
	for _, d := range ds {
		if _, err := add.ExecContext(ctx, d.Repository, d.Version, d.Platform, d.Day.Format(time.DateOnly), d.Count); err != nil {
			return err
		}
	}
	repositories, totals := repositoryTotals(ds)
	for i, r := range repositories {
		if _, err := tx.ExecContext(ctx, `INSERT INTO bundles (repository, downloads) VALUES (?, ?)
			ON CONFLICT (repository) DO UPDATE SET downloads = downloads + excluded.downloads`,
			r, totals[i]); err != nil {
			return err
		}
	}
	return nil
}

// setDocument replaces the bundle's bundle_text row, whose rowid is the
// bundle's id. FTS5 has no upsert: the row is deleted and inserted.
func (sqliteDialect) setDocument(ctx context.Context, tx *sql.Tx, bundleID int64, doc *fulltext.Document) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM bundle_text WHERE rowid = ?`, bundleID); err != nil {
		return err
	}
	if doc == nil {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO bundle_text (rowid, name, display_name, tools, keywords,
		description, details) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		bundleID, doc.Name, doc.DisplayName, doc.Tools, doc.Keywords, doc.Description, doc.Details)
	return err
}
