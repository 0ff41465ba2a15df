package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/internal/fulltext"
)

// Dialect is what differs between the databases a Store runs on: how
// queries bind their arguments, how times and JSON are stored, and the
// statements that cannot be written once. Its implementations are this
// package's: SQLite and Postgres.
type Dialect interface {
	// rebind rewrites a query written with ? placeholders for the driver.
	rebind(query string) string
	// writeTx is the options of a writer's transaction.
	writeTx() *sql.TxOptions
	// time stores a time; nullTime stores the zero time (unknown) as NULL.
	// Times read back through timeValue, which takes either encoding.
	time(t time.Time) any
	nullTime(t time.Time) any
	// snapshotTx is the options of a read-only transaction whose
	// statements all see one snapshot.
	snapshotTx() *sql.TxOptions
	// notifyChange wakes the change feed's followers when tx commits,
	// where the database can (PostgreSQL: NOTIFY on ChangeChannel).
	notifyChange(ctx context.Context, tx *sql.Tx) error
	// json stores a JSON document.
	json(doc []byte) any
	// forUpdate locks the rows a SELECT reads until the transaction ends,
	// where the database has row locks.
	forUpdate() string
	// jsonArrayAgg and jsonObject are the functions that aggregate rows
	// into a JSON array and build a JSON object from key-value pairs.
	jsonArrayAgg() string
	jsonObject() string
	// contains is the condition that haystack contains needle.
	contains(haystack, needle string) string
	// nullsLast puts NULLs after every value in a descending order, as
	// the index serving the order has them.
	nullsLast() string

	// addDownloads adds merged and sorted counts (catalog.MergeDownloads) to
	// downloads and to their repositories' bundles rows.
	addDownloads(ctx context.Context, tx *sql.Tx, ds []catalog.Download) error
	// setDocument replaces a bundle's search document; nil deletes it.
	setDocument(ctx context.Context, tx *sql.Tx, bundleID int64, doc *fulltext.Document) error
	// search runs a normalized query with text terms and filters.
	search(ctx context.Context, s *Store, q catalog.Query, terms []string, f filters) (*catalog.Results, error)
}

// rebindDollar numbers ? placeholders $1, $2, ... as PostgreSQL wants
// them. A ? in a quoted literal is text, not a placeholder.
func rebindDollar(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n, quoted := 0, false
	for i := 0; i < len(query); i++ {
		switch c := query[i]; {
		case c == '\'':
			quoted = !quoted
			b.WriteByte(c)
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
