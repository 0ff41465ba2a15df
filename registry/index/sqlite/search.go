package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/mpak-oci/mpak/registry/index"
	"github.com/mpak-oci/mpak/registry/index/internal/fulltext"
	"github.com/mpak-oci/mpak/registry/index/internal/platform"
)

// bm25Rank is bm25 with a weight per bundle_text column (name, display_name,
// tools, keywords, description, details), in the ratios of PostgreSQL's
// ts_rank weights A, B, B, C, C, D (1.0, 0.4, 0.4, 0.2, 0.2, 0.1), so both
// stores order alike: a name match outweighs anything the prose says.
// bm25 is lower for better matches.
const bm25Rank = `bm25(bundle_text, 10.0, 4.0, 4.0, 2.0, 2.0, 1.0)`

// Search ranks bundles by their latest version. Every order ends with the
// repository, so equal ranks page stably.
//
// Matching, filtering and sorting read only bundles (and bundle_text); the
// versions are read for the page alone. The total is a second statement in
// the same read transaction: counting in the page query (count(*) OVER ())
// would keep every match in memory and stop an index from serving the
// unfiltered sorts.
func (s *Store) Search(ctx context.Context, q index.Query) (*index.Results, error) {
	q, err := q.Normalize()
	if err != nil {
		return nil, err
	}
	terms := fulltext.Terms(q.Text)

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
	where := []string{`bu.latest_id IS NOT NULL`}
	var args []any
	if len(terms) > 0 {
		args = append(args, matchExpr(terms))
	}
	if q.Type != "" {
		where = append(where, `bu.server_type = ?`)
		args = append(args, q.Type)
	}
	if subs := platform.Substrings(q.OS, q.Arch); subs != nil {
		var or []string
		for _, sub := range subs {
			or = append(or, `instr(bu.platforms, ?) > 0`)
			args = append(args, sub)
		}
		where = append(where, `(`+strings.Join(or, ` OR `)+`)`)
	}
	if q.MinLevel > 0 {
		where = append(where, `bu.level >= ?`)
		args = append(args, q.MinLevel)
	}
	if q.Signed != nil {
		where = append(where, `bu.signed = ?`)
		args = append(args, *q.Signed)
	}
	filter := ` WHERE ` + strings.Join(where, ` AND `)

	// order sorts the page; rank names the text rank's column.
	order := func(rank string) string {
		switch {
		case q.Sort == index.SortRelevance && len(terms) > 0:
			return rank + `, bu.downloads DESC, bu.repository`
		case q.Sort == index.SortRecent:
			return `bu.updated_at DESC, bu.repository`
		case q.Sort == index.SortName:
			return `bu.repository`
		default: // downloads, and relevance without text
			return `bu.downloads DESC, bu.repository`
		}
	}
	rankColumn := ``
	if len(terms) > 0 {
		rankColumn = `, m.rank AS rank`
	}
	page := `SELECT ` + versionColumns + `, bu.versions, bu.downloads, bu.updated_at
		FROM (SELECT bu.id AS bundle_id` + rankColumn + ` FROM ` + from(`, `+bm25Rank+` AS rank`) + filter + `
			ORDER BY ` + order("m.rank") + ` LIMIT ? OFFSET ?) p
		JOIN bundles bu ON bu.id = p.bundle_id JOIN versions v ON v.id = bu.latest_id
		ORDER BY ` + order("p.rank")

	// bundle_text has rows for listed bundles only, so text alone is
	// counted from the FTS table without a bundles lookup per match.
	count := `SELECT count(*) FROM ` + from(``) + filter
	if len(terms) > 0 && len(where) == 1 {
		count = `SELECT count(*) FROM bundle_text WHERE bundle_text MATCH ?`
	}

	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("searching %q: %w", q.Text, err)
	}
	defer tx.Rollback()
	res := &index.Results{Bundles: []index.Bundle{}}
	if err := tx.QueryRowContext(ctx, count, args...).Scan(&res.Total); err != nil {
		return nil, fmt.Errorf("searching %q: %w", q.Text, err)
	}
	if res.Total <= q.Offset {
		return res, nil
	}
	rows, err := tx.QueryContext(ctx, page, append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, fmt.Errorf("searching %q: %w", q.Text, err)
	}
	defer rows.Close()
	for rows.Next() {
		b, err := scanBundle(rows)
		if err != nil {
			return nil, fmt.Errorf("searching %q: %w", q.Text, err)
		}
		res.Bundles = append(res.Bundles, *b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("searching %q: %w", q.Text, err)
	}
	return res, nil
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
