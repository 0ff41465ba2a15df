package search

import (
	"context"
	"slices"
	"strings"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/internal/fulltext"
	"github.com/mpak-oci/mpak/registry/internal/platform"
)

// hit is a matching doc and its rank.
type hit struct {
	id    int32
	score float32
}

// scratch is one search's work space: a score per doc id, valid where
// mark equals epoch, so it needs no clearing between searches.
type scratch struct {
	score []float32
	mark  []uint32
	epoch uint32
	hits  []hit
	// and is andDense's work space.
	and []uint64
}

// Search answers q as the catalog stores do: the same matching, filters,
// orders, paging and total.
func (e *Engine) Search(ctx context.Context, q catalog.Query) (*catalog.Results, error) {
	return e.SearchReadable(ctx, q, nil)
}

// SearchReadable is Search over the bundles readable accepts (nil: all):
// the others are a filter every facet applies, so neither the total nor
// any facet counts them.
func (e *Engine) SearchReadable(ctx context.Context, q catalog.Query, readable func(repository string) bool) (*catalog.Results, error) {
	shared, err := e.SearchShared(ctx, q, readable)
	if err != nil {
		return nil, err
	}
	res := &catalog.Results{Bundles: make([]catalog.Bundle, len(shared.Bundles)), Total: shared.Total, Facets: shared.Facets}
	for i, b := range shared.Bundles {
		res.Bundles[i] = *b
	}
	return res, nil
}

// SearchShared is SearchReadable answered with the engine's own bundles,
// which the caller must not modify: a doc never changes once built (a
// change replaces it), so they stay valid and as they were.
func (e *Engine) SearchShared(_ context.Context, q catalog.Query, readable func(repository string) bool) (*catalog.SharedResults, error) {
	q, err := q.Normalize()
	if err != nil {
		return nil, err
	}
	terms := fulltext.Terms(q.Text)
	platforms := platform.Substrings(q.OS, q.Arch)

	e.mu.RLock()
	defer e.mu.RUnlock()
	sc := e.getScratch()
	defer e.scratch.Put(sc)

	hits := e.match(sc, terms, false)
	if len(hits) == 0 && len(terms) > 0 && !e.opts.NoTypos {
		sc.next()
		hits = e.match(sc, terms, true)
	}
	res := &catalog.SharedResults{Bundles: []*catalog.Bundle{}}
	if q.Facets {
		res.Facets = &catalog.Facets{Types: map[string]int{}, Platforms: map[string]int{}, Levels: map[int]int{}}
	}
	// Filter in place, counting facets on the way: a doc counts in a
	// facet when it fails no filter but that facet's own. A query with
	// neither keeps every hit without visiting its doc.
	filtered := q.Facets || readable != nil || q.Type != "" || q.MinLevel > 0 || q.Signed != nil || platforms != nil
	if filtered {
		kept := hits[:0]
		for _, h := range hits {
			d := e.docs[h.id]
			m := d.misses(&q, platforms)
			if readable != nil && !readable(d.bundle.Repository) {
				m |= missHidden
			}
			if m == 0 {
				kept = append(kept, h)
			}
			if f := res.Facets; f != nil {
				if m&^missType == 0 {
					f.Types[d.serverType]++
				}
				if m&^missPlatform == 0 {
					for _, p := range d.platformList {
						f.Platforms[p]++
					}
				}
				if m&^missLevel == 0 {
					f.Levels[d.level]++
				}
				if m&^missSigned == 0 {
					if d.signed {
						f.Signed++
					} else {
						f.Unsigned++
					}
				}
			}
		}
		hits = kept
	}
	sc.hits = hits[:0]
	res.Total = len(hits)
	if q.Offset >= len(hits) {
		return res, nil
	}
	byScore := q.Sort == catalog.SortRelevance && len(terms) > 0
	less := e.order(q.Sort, len(terms) > 0)
	page := topK(hits, q.Offset+q.Limit, less, byScore)[q.Offset:]
	res.Bundles = make([]*catalog.Bundle, len(page))
	for i, h := range page {
		res.Bundles[i] = &e.docs[h.id].bundle
	}
	return res, nil
}

func (e *Engine) getScratch() *scratch {
	sc, _ := e.scratch.Get().(*scratch)
	if sc == nil {
		sc = &scratch{}
	}
	if n := len(e.docs); len(sc.score) < n {
		n += n / 8 // room to grow before the next resize
		sc.score, sc.mark, sc.epoch = make([]float32, n), make([]uint32, n), 0
	}
	sc.next()
	return sc
}

// next starts a new use of the work space: no score is valid.
func (sc *scratch) next() {
	sc.epoch++
	if sc.epoch == 0 { // wrapped: every mark is suspect
		clear(sc.mark)
		sc.epoch = 1
	}
}

// match returns the docs that have every term, the last as a prefix (or,
// with typos, as a word one edit away), with their scores. No terms
// match every listed doc.
func (e *Engine) match(sc *scratch, terms []string, typos bool) []hit {
	hits := sc.hits[:0]
	if len(terms) == 0 {
		for id, d := range e.docs {
			if d != nil {
				hits = append(hits, hit{id: int32(id)})
			}
		}
		return hits
	}
	exact, last := terms[:len(terms)-1], terms[len(terms)-1]
	// The last word's postings: one list (a precomputed prefix, or the
	// one word a prefix stands for), or several to merge.
	var (
		lastLists []*postings
		typoWords []string
	)
	switch p, ok := e.dict.prefixList(last); {
	case typos:
		typoWords = e.dict.oneEditAway(last)
		for _, w := range typoWords {
			lastLists = append(lastLists, e.dict.lists[w])
		}
	case ok:
		lastLists = []*postings{p}
	default:
		for _, w := range e.dict.expand(last) {
			lastLists = append(lastLists, e.dict.lists[w])
		}
	}
	if len(lastLists) == 0 {
		return hits
	}

	if len(exact) == 0 {
		if len(lastLists) == 1 {
			p := lastLists[0]
			for i, id := range p.docs {
				hits = append(hits, hit{id: id, score: p.scores[i]})
			}
			return hits
		}
		// The union, each doc scored by its best word.
		for _, p := range lastLists {
			for i, id := range p.docs {
				s := p.scores[i]
				switch {
				case sc.mark[id] != sc.epoch:
					sc.mark[id], sc.score[id] = sc.epoch, s
					hits = append(hits, hit{id: id})
				case s > sc.score[id]:
					sc.score[id] = s
				}
			}
		}
		for i := range hits {
			hits[i].score = sc.score[hits[i].id]
		}
		return hits
	}

	// Whole words: intersect their postings, rarest first.
	lists := make([]*postings, len(exact))
	for i, w := range exact {
		p := e.dict.lists[w]
		if p == nil || len(p.docs) == 0 {
			return hits
		}
		lists[i] = p
	}
	slices.SortFunc(lists, func(a, b *postings) int { return len(a.docs) - len(b.docs) })
	if len(lastLists) == 1 {
		lists = append(lists, lastLists[0])
	}
	if lists[0].bits != nil && !slices.ContainsFunc(lists, func(p *postings) bool { return p.bits == nil }) {
		// Only common words: AND their bitsets.
		hits = andDense(sc, hits, lists)
	} else {
		for i, id := range lists[0].docs {
			hits = append(hits, hit{id: id, score: lists[0].scores[i]})
		}
		for _, p := range lists[1:] {
			hits = intersect(hits, p)
			if len(hits) == 0 {
				return hits
			}
		}
	}
	if len(lastLists) == 1 || len(hits) == 0 {
		return hits
	}
	// Several words for the last: merge their postings into the
	// candidates' marks when that reads less than checking each
	// candidate's own words (a binary search of strings each). A list
	// with a bitset is read at the candidates when they are fewer than
	// its docs, the others from end to end.
	total := 0
	for _, p := range lastLists {
		if p.bits != nil && len(hits) < len(p.docs) {
			total += len(hits)
		} else {
			total += len(p.docs)
		}
	}
	kept := hits[:0]
	if total <= len(hits)*32 {
		for _, h := range hits {
			sc.mark[h.id], sc.score[h.id] = sc.epoch, -1
		}
		for _, p := range lastLists {
			if p.bits != nil && len(hits) < len(p.docs) {
				for _, h := range hits {
					if s, ok := p.lookup(h.id); ok && s > sc.score[h.id] {
						sc.score[h.id] = s
					}
				}
				continue
			}
			for i, id := range p.docs {
				if sc.mark[id] == sc.epoch && p.scores[i] > sc.score[id] {
					sc.score[id] = p.scores[i]
				}
			}
		}
		for _, h := range hits {
			if s := sc.score[h.id]; s >= 0 {
				h.score += s
				kept = append(kept, h)
			}
		}
		return kept
	}
	for _, h := range hits {
		d := e.docs[h.id]
		var s float32
		var ok bool
		if typos {
			s, ok = d.wordsScore(e.dict, typoWords)
		} else {
			s, ok = d.prefixScore(e.dict, last)
		}
		if ok {
			h.score += s
			kept = append(kept, h)
		}
	}
	return kept
}

// intersect keeps the hits that p has, adding p's scores. Both are in id
// order. A list with a bitset answers each hit in constant time; else a
// short list against a long one gallops (binary searches ahead), and lists
// of like length merge.
func intersect(hits []hit, p *postings) []hit {
	kept := hits[:0]
	if p.bits != nil {
		for _, h := range hits {
			if s, ok := p.lookup(h.id); ok {
				h.score += s
				kept = append(kept, h)
			}
		}
		return kept
	}
	j := 0
	gallop := len(hits)*16 < len(p.docs)
	for _, h := range hits {
		if gallop {
			k, _ := slices.BinarySearch(p.docs[j:], h.id)
			j += k
		} else {
			for j < len(p.docs) && p.docs[j] < h.id {
				j++
			}
		}
		if j == len(p.docs) {
			break
		}
		if p.docs[j] == h.id {
			h.score += p.scores[j]
			kept = append(kept, h)
		}
	}
	return kept
}

// wordsScore is the best score among words that d has.
func (d *doc) wordsScore(dict *dictionary, words []string) (float32, bool) {
	var best float32
	found := false
	for _, w := range words {
		if i := d.find(dict, w); i < d.len() && d.term(dict, i) == w {
			found = true
			best = max(best, d.scores[i])
		}
	}
	return best, found
}

// order is the comparison of a sort: negative when a comes first. Every
// order ends with the repository, so pages are stable.
func (e *Engine) order(sort catalog.Sort, text bool) func(a, b hit) int {
	byRepo := func(a, b hit) int {
		return strings.Compare(e.docs[a.id].bundle.Repository, e.docs[b.id].bundle.Repository)
	}
	byDownloads := func(a, b hit) int {
		da, db := e.downloads[a.id], e.downloads[b.id]
		switch {
		case da > db:
			return -1
		case da < db:
			return 1
		}
		return byRepo(a, b)
	}
	switch {
	case sort == catalog.SortRelevance && text:
		return func(a, b hit) int {
			switch {
			case a.score > b.score:
				return -1
			case a.score < b.score:
				return 1
			}
			return byDownloads(a, b)
		}
	case sort == catalog.SortRecent:
		return func(a, b hit) int {
			ta, tb := e.docs[a.id].updated, e.docs[b.id].updated
			switch {
			case ta.Equal(tb):
				return byRepo(a, b)
			case tb.IsZero() || ta.After(tb):
				return -1
			default:
				return 1
			}
		}
	case sort == catalog.SortName:
		return byRepo
	default: // downloads, and relevance without text
		return byDownloads
	}
}

// topK returns the first k hits in less's order, sorted: a bounded heap
// over the hits (the k best so far, worst at the root), so a broad query
// costs one comparison per hit, not a sort of them all. byScore says less
// ranks by score first: a hit scoring below the root's is then out
// without calling less, which is most of a broad query's hits.
func topK(hits []hit, k int, less func(a, b hit) int, byScore bool) []hit {
	if k >= len(hits) {
		slices.SortFunc(hits, less)
		return hits
	}
	// hits[:k] becomes a heap with the worst of them at the root.
	worse := func(i, j int) bool { return less(hits[i], hits[j]) > 0 }
	down := func(i, n int) {
		for {
			l := 2*i + 1
			if l >= n {
				return
			}
			c := l
			if r := l + 1; r < n && worse(r, l) {
				c = r
			}
			if !worse(c, i) {
				return
			}
			hits[i], hits[c] = hits[c], hits[i]
			i = c
		}
	}
	for i := k/2 - 1; i >= 0; i-- {
		down(i, k)
	}
	for i := k; i < len(hits); i++ {
		if byScore && hits[i].score < hits[0].score {
			continue
		}
		if less(hits[i], hits[0]) < 0 {
			hits[0] = hits[i]
			down(0, k)
		}
	}
	top := hits[:k]
	slices.SortFunc(top, less)
	return top
}
