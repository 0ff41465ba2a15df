package sqlstore

import (
	"context"
	"strconv"
	"strings"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// search reads the page and its total in one statement, so both are one
// snapshot in one round trip: the count is a subquery PostgreSQL runs
// once. Relevance is ts_rank with its default weights (A 1.0, B 0.4, C
// 0.2, D 0.1) and no length normalization: the weights, not the length of
// a README, decide.
//
// The match and the count are rebound apart, so the count subquery reuses
// the match's parameters ($1...) rather than repeat them; LIMIT and
// OFFSET are numbered after them.
func (d postgresDialect) search(ctx context.Context, s *Store, q catalog.Query, terms []string, f filters) (*catalog.Results, error) {
	var args []any
	from := `bundles bu`
	where := f.where[:1:1] // bu.latest_id IS NOT NULL, then the text, then the filters
	tq := ``
	if len(terms) > 0 {
		tq = `to_tsquery('simple', ?) AS tq`
		args = append(args, tsquery(terms))
		from += ` JOIN bundle_documents d ON d.bundle_id = bu.id, ` + tq
		where = append(where, `d.document @@ tq`)
	}
	where = append(where, f.where[1:]...)
	args = append(args, f.args...)
	matches := d.rebind(from + ` WHERE ` + strings.Join(where, ` AND `))
	// Only listed bundles have a document, so text alone is counted from
	// the documents without reading bundles.
	counted := matches
	if f.textOnly(terms) {
		counted = d.rebind(`bundle_documents d, ` + tq + ` WHERE d.document @@ tq`)
	}

	rank := `0::real`
	if len(terms) > 0 {
		rank = `ts_rank(d.document, tq)`
	}
	page := `SELECT ` + s.versionColumns + `, bu.versions, bu.downloads, bu.updated_at,
			(SELECT count(*) FROM ` + counted + `)
		FROM (SELECT bu.id AS bundle_id, ` + rank + ` AS rank FROM ` + matches + `
			ORDER BY ` + s.order(q, terms, rank+` DESC`) + ` LIMIT $` + strconv.Itoa(len(args)+1) + ` OFFSET $` + strconv.Itoa(len(args)+2) + `) p
		JOIN bundles bu ON bu.id = p.bundle_id JOIN versions v ON v.id = bu.latest_id
		ORDER BY ` + s.order(q, terms, `p.rank DESC`)

	rows, err := s.read.QueryContext(ctx, page, append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	res := &catalog.Results{Bundles: []catalog.Bundle{}}
	for rows.Next() {
		var total int64
		b, err := scanBundle(rows, &total)
		if err != nil {
			return nil, err
		}
		res.Bundles, res.Total = append(res.Bundles, *b), int(total)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(res.Bundles) == 0 && q.Offset > 0 {
		// A page past the end has no row to carry the total.
		if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM `+counted, args...).Scan(&res.Total); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// tsquery is the to_tsquery text for terms: all required, the last a
// prefix. Terms are letters and digits only, so none is tsquery syntax.
func tsquery(terms []string) string {
	return strings.Join(terms, " & ") + ":*"
}
