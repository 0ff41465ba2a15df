package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/internal/fulltext"
)

// Postgres is the dialect of PostgreSQL through pgx's database/sql driver
// (github.com/jackc/pgx/v5/stdlib), on the schema of index/postgres's
// migrations: timestamptz and date columns, jsonb, and search documents
// that are tsvectors in bundle_documents.
var Postgres Dialect = postgresDialect{}

type postgresDialect struct{}

// rebind numbers a query's placeholders once per query text: the texts
// are the store's own, a few dozen of them, and the hot ones (whole
// versions) are kilobytes long.
func (postgresDialect) rebind(query string) string {
	if q, ok := rebound.Load(query); ok {
		return q.(string)
	}
	q := rebindDollar(query)
	rebound.Store(query, q)
	return q
}

// rebound maps query texts written with ? to their numbered form.
var rebound sync.Map

// writeTx is read committed: each statement sees what other transactions
// committed before it began, which is what lets a writer that waited for
// a bundles row lock then read the versions the previous holder wrote.
func (postgresDialect) writeTx() *sql.TxOptions {
	return &sql.TxOptions{Isolation: sql.LevelReadCommitted}
}

// snapshotTx is repeatable read: every statement sees the snapshot of the
// transaction's first.
func (postgresDialect) snapshotTx() *sql.TxOptions {
	return &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
}

// ChangeChannel is the channel writers NOTIFY when they commit a change:
// replicas LISTEN on it to read the change feed at once rather than at
// their next poll.
const ChangeChannel = "mpak_catalog_changes"

// notifyChange queues a notification PostgreSQL delivers at commit (and
// drops on rollback); several in one transaction are delivered once. The
// payload is the schema, as databases can hold several catalogs.
func (postgresDialect) notifyChange(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_notify('`+ChangeChannel+`', current_schema())`)
	return err
}

func (postgresDialect) time(t time.Time) any { return t }

func (postgresDialect) nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func (postgresDialect) json(doc []byte) any { return doc }

func (postgresDialect) forUpdate() string { return ` FOR UPDATE` }

func (postgresDialect) jsonArrayAgg() string { return `json_agg` }
func (postgresDialect) jsonObject() string   { return `json_build_object` }

func (postgresDialect) contains(haystack, needle string) string {
	return `strpos(` + haystack + `, ` + needle + `) > 0`
}

func (postgresDialect) nullsLast() string { return ` NULLS LAST` }

// addDownloads upserts every count in one statement, whatever the batch's
// size: one round trip, and one statement text for the server to prepare
// once. Rows are upserted in the batch's (sorted) order.
func (postgresDialect) addDownloads(ctx context.Context, tx *sql.Tx, ds []catalog.Download) error {
	var (
		repos, versions, platforms []string
		days                       []time.Time
		counts                     []int64
	)
	for _, d := range ds {
		repos, versions, platforms = append(repos, d.Repository), append(versions, d.Version), append(platforms, d.Platform)
		days, counts = append(days, d.Day), append(counts, d.Count)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO downloads (repository, version, platform, day, count)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::bigint[])
		ON CONFLICT (repository, version, platform, day) DO UPDATE SET count = downloads.count + EXCLUDED.count`,
		repos, versions, platforms, days, counts); err != nil {
		return err
	}
	repositories, totals := repositoryTotals(ds)
	_, err := tx.ExecContext(ctx, `INSERT INTO bundles (repository, downloads)
		SELECT * FROM unnest($1::text[], $2::bigint[])
		ON CONFLICT (repository) DO UPDATE SET downloads = bundles.downloads + EXCLUDED.downloads`,
		repositories, totals)
	return err
}

// setDocument upserts the bundle's tsvector, weighted A (name), B (display
// name, tool names), C (keywords, description), D (details), the weights
// ts_rank scores 1.0, 0.4, 0.2 and 0.1.
func (postgresDialect) setDocument(ctx context.Context, tx *sql.Tx, bundleID int64, doc *fulltext.Document) error {
	if doc == nil {
		_, err := tx.ExecContext(ctx, `DELETE FROM bundle_documents WHERE bundle_id = $1`, bundleID)
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO bundle_documents (bundle_id, document)
		VALUES ($1, setweight(to_tsvector('simple', $2), 'A') || setweight(to_tsvector('simple', $3), 'B')
			|| setweight(to_tsvector('simple', $4), 'C') || setweight(to_tsvector('simple', $5), 'D'))
		ON CONFLICT (bundle_id) DO UPDATE SET document = EXCLUDED.document`,
		bundleID, doc.Name, doc.DisplayName+" "+doc.Tools, doc.Keywords+" "+doc.Description, doc.Details)
	return err
}
