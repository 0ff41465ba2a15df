package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/mpak-oci/mpak/registry/index"
	"github.com/mpak-oci/mpak/registry/index/internal/fulltext"
	"github.com/mpak-oci/mpak/registry/index/internal/platform"
)

// Search ranks bundles by their latest version. Relevance is ts_rank with
// its default weights (A 1.0, B 0.4, C 0.2, D 0.1) and no length
// normalization: the weights, not the length of a README, decide, and a
// name match outweighs anything the prose says. Every order ends with the
// repository, so equal ranks page stably.
//
// The inner query matches, filters and sorts bundles alone, returning
// ids; the outer one reads whole versions for the page only, and counts the
// matches in a subquery PostgreSQL runs once. One statement, so the page
// and its total are one snapshot; counting apart from the page (rather
// than count(*) OVER ()) lets an index serve the unfiltered sorts.
func (s *Store) Search(ctx context.Context, q index.Query) (*index.Results, error) {
	q, err := q.Normalize()
	if err != nil {
		return nil, err
	}
	terms := fulltext.Terms(q.Text)

	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	from := `bundles bu`
	where := []string{`bu.latest_id IS NOT NULL`}
	tq := ""
	if len(terms) > 0 {
		tq = `to_tsquery('simple', ` + arg(tsquery(terms)) + `) AS tq`
		from += ` JOIN bundle_documents d ON d.bundle_id = bu.id, ` + tq
		where = append(where, `d.document @@ tq`)
	}
	if q.Type != "" {
		where = append(where, `bu.server_type = `+arg(q.Type))
	}
	if subs := platform.Substrings(q.OS, q.Arch); subs != nil {
		var or []string
		for _, sub := range subs {
			or = append(or, `strpos(bu.platforms, `+arg(sub)+`) > 0`)
		}
		where = append(where, `(`+strings.Join(or, ` OR `)+`)`)
	}
	if q.MinLevel > 0 {
		where = append(where, `bu.level >= `+arg(q.MinLevel))
	}
	if q.Signed != nil {
		where = append(where, `bu.signed = `+arg(*q.Signed))
	}
	matches := from + ` WHERE ` + strings.Join(where, ` AND `)
	filterArgs := len(args)
	// Only listed bundles have a document, so text alone is counted from
	// the documents without reading bundles.
	counted := matches
	if tq != "" && len(where) == 2 {
		counted = `bundle_documents d, ` + tq + ` WHERE d.document @@ tq`
	}

	// order sorts the page; rank is the text rank's expression.
	order := func(rank string) string {
		switch {
		case q.Sort == index.SortRelevance && len(terms) > 0:
			return rank + ` DESC, bu.downloads DESC, bu.repository`
		case q.Sort == index.SortRecent:
			return `bu.updated_at DESC NULLS LAST, bu.repository`
		case q.Sort == index.SortName:
			return `bu.repository`
		default: // downloads, and relevance without text
			return `bu.downloads DESC, bu.repository`
		}
	}
	rank := `0::real`
	if len(terms) > 0 {
		rank = `ts_rank(d.document, tq)`
	}
	page := `SELECT ` + versionColumns + `, bu.versions, bu.downloads, bu.updated_at,
			(SELECT count(*) FROM ` + counted + `)
		FROM (SELECT bu.id AS bundle_id, ` + rank + ` AS rank FROM ` + matches + `
			ORDER BY ` + order(rank) + ` LIMIT ` + arg(q.Limit) + ` OFFSET ` + arg(q.Offset) + `) p
		JOIN bundles bu ON bu.id = p.bundle_id JOIN versions v ON v.id = bu.latest_id
		ORDER BY ` + order("p.rank")

	rows, err := s.pool.Query(ctx, page, args...)
	if err != nil {
		return nil, fmt.Errorf("searching %q: %w", q.Text, err)
	}
	defer rows.Close()
	res := &index.Results{Bundles: []index.Bundle{}}
	for rows.Next() {
		var total int64
		b, err := scanBundle(rows, &total)
		if err != nil {
			return nil, fmt.Errorf("searching %q: %w", q.Text, err)
		}
		res.Bundles, res.Total = append(res.Bundles, *b), int(total)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("searching %q: %w", q.Text, err)
	}
	if len(res.Bundles) == 0 && q.Offset > 0 {
		// A page past the end has no row to carry the total.
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+counted, args[:filterArgs]...).Scan(&res.Total); err != nil {
			return nil, fmt.Errorf("searching %q: %w", q.Text, err)
		}
	}
	return res, nil
}

// tsquery is the to_tsquery text for terms: all required, the last a
// prefix. Terms are letters and digits only, so none is tsquery syntax.
func tsquery(terms []string) string {
	return strings.Join(terms, " & ") + ":*"
}
