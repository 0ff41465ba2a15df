package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/internal/fulltext"
	"github.com/mpak-oci/mpak/registry/internal/platform"
)

// Search ranks bundles by their latest version. Every order ends with the
// repository, so equal ranks page stably.
//
// Matching, filtering and sorting read only bundles (and the search
// documents); the versions are read for the page alone. The total is
// counted apart from the page: counting in the page query (count(*) OVER
// ()) would keep every match in memory and stop an index from serving the
// unfiltered sorts. How the text matches and ranks, and how the count is
// kept to the page's snapshot, is the dialect's.
func (s *Store) Search(ctx context.Context, q catalog.Query) (*catalog.Results, error) {
	q, err := q.Normalize()
	if err != nil {
		return nil, err
	}
	terms := fulltext.Terms(q.Text)
	res, err := s.d.search(ctx, s, q, terms, s.filters(q))
	if err != nil {
		return nil, fmt.Errorf("searching %q: %w", q.Text, err)
	}
	return res, nil
}

// filters are a search's conditions on bundles (aliased bu) but the text.
type filters struct {
	where []string
	args  []any
}

func (s *Store) filters(q catalog.Query) filters {
	f := filters{where: []string{`bu.latest_id IS NOT NULL`}}
	if q.Type != "" {
		f.where = append(f.where, `bu.server_type = ?`)
		f.args = append(f.args, q.Type)
	}
	if subs := platform.Substrings(q.OS, q.Arch); subs != nil {
		var or []string
		for _, sub := range subs {
			or = append(or, s.d.contains(`bu.platforms`, `?`))
			f.args = append(f.args, sub)
		}
		f.where = append(f.where, `(`+strings.Join(or, ` OR `)+`)`)
	}
	if q.MinLevel > 0 {
		f.where = append(f.where, `bu.level >= ?`)
		f.args = append(f.args, q.MinLevel)
	}
	if q.Signed != nil {
		f.where = append(f.where, `bu.signed = ?`)
		f.args = append(f.args, *q.Signed)
	}
	return f
}

// textOnly is whether the text is a search's only condition: the search
// documents exist for listed bundles alone, so the count needs no bundles.
func (f filters) textOnly(terms []string) bool { return len(terms) > 0 && len(f.where) == 1 }

// order sorts a page of q: byRank is the text rank, best first, used when
// the search has text.
func (s *Store) order(q catalog.Query, terms []string, byRank string) string {
	switch {
	case q.Sort == catalog.SortRelevance && len(terms) > 0:
		return byRank + `, bu.downloads DESC, bu.repository`
	case q.Sort == catalog.SortRecent:
		return `bu.updated_at DESC` + s.d.nullsLast() + `, bu.repository`
	case q.Sort == catalog.SortName:
		return `bu.repository`
	default: // downloads, and relevance without text
		return `bu.downloads DESC, bu.repository`
	}
}
