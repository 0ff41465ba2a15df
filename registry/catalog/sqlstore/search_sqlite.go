package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// bm25Rank is bm25 with a weight per bundle_text column (name, display_name,
// tools, keywords, description, details), in the ratios of PostgreSQL's
// ts_rank weights A, B, B, C, C, D (1.0, 0.4, 0.4, 0.2, 0.2, 0.1), so both
// dialects order alike: a name match outweighs anything the prose says.
// bm25 is lower for better matches.
const bm25Rank = `bm25(bundle_text, 10.0, 4.0, 4.0, 2.0, 2.0, 1.0)`

// search counts and reads the page in two statements of one read-only
// transaction, so both see one snapshot; an embedded database costs no
// round trip per statement, and a page past the total is never read.
func (sqliteDialect) search(ctx context.Context, s *Store, q catalog.Query, terms []string, f filters) (*catalog.Results, error) {
	// from is the bundles matching the text, with rankColumn selected from
	// the FTS table: bm25 works only in a query of the FTS table itself, and
	// only the page query asks for it, as counting needs no rank.
	from := func(rankColumn string) string {
		if len(terms) == 0 {
			return `bundles bu`
		}
		return `(SELECT rowid AS bundle_id` + rankColumn + ` FROM bundle_text WHERE bundle_text MATCH ?) m
			JOIN bundles bu ON bu.id = m.bundle_id`
	}
	var args []any
	if len(terms) > 0 {
		args = append(args, matchExpr(terms))
	}
	args = append(args, f.args...)
	filter := ` WHERE ` + strings.Join(f.where, ` AND `)

	rankColumn := ``
	if len(terms) > 0 {
		rankColumn = `, m.rank AS rank`
	}
	page := `SELECT ` + s.versionColumns + `, bu.versions, bu.downloads, bu.updated_at
		FROM (SELECT bu.id AS bundle_id` + rankColumn + ` FROM ` + from(`, `+bm25Rank+` AS rank`) + filter + `
			ORDER BY ` + s.order(q, terms, `m.rank`) + ` LIMIT ? OFFSET ?) p
		JOIN bundles bu ON bu.id = p.bundle_id JOIN versions v ON v.id = bu.latest_id
		ORDER BY ` + s.order(q, terms, `p.rank`)

	count := `SELECT count(*) FROM ` + from(``) + filter
	if f.textOnly(terms) {
		count = `SELECT count(*) FROM bundle_text WHERE bundle_text MATCH ?`
	}

	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	res := &catalog.Results{Bundles: []catalog.Bundle{}}
	if err := tx.QueryRowContext(ctx, count, args...).Scan(&res.Total); err != nil {
		return nil, err
	}
	if res.Total <= q.Offset {
		return res, nil
	}
	rows, err := tx.QueryContext(ctx, page, append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		b, err := scanBundle(rows)
		if err != nil {
			return nil, err
		}
		res.Bundles = append(res.Bundles, *b)
	}
	return res, rows.Err()
}

// matchExpr is the FTS5 query for terms: all required, each quoted, the
// last a prefix. Terms are letters and digits only, so quoting cannot be
// escaped, and FTS5 operators (AND, NEAR, column filters) are just words.
func matchExpr(terms []string) string {
	quoted := make([]string, len(terms))
	for i, t := range terms {
		quoted[i] = `"` + t + `"`
	}
	return strings.Join(quoted, " ") + "*"
}
