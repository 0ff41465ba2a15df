package benchsearch

import (
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
)

// The distinct classes: text searches as people type them, every one
// different within a run, so no result cache can answer them from an
// earlier request. Words come from the catalog's own vocabulary.
const (
	// distinctSelective: 1–3 words of one bundle, one of them rare in the
	// catalog: a few dozen matches or fewer.
	distinctSelective = "selective"
	// distinctBroad: 1–3 words each in a tenth of the catalog or more.
	distinctBroad = "broad"
	// distinctPrefix: 1–3 words of one bundle, the last cut short, as
	// typed (one letter or more).
	distinctPrefix = "prefix"
)

var distinctClasses = []string{distinctSelective, distinctBroad, distinctPrefix}

// distinctQueries generates n different queries of each class, seeded.
func distinctQueries(cat *Catalog, n int, seed uint64) map[string][]querySpec {
	r := rand.New(rand.NewPCG(seed, 7))
	size := len(cat.Repos)
	// Each bundle's words, sorted, for drawing from one bundle.
	words := make([][]string, size)
	for i := range cat.Repos {
		repo := &cat.Repos[i]
		for w := range TextWords(&repo.Versions[repo.Latest]) {
			words[i] = append(words[i], w)
		}
		slices.Sort(words[i])
	}
	var common []string
	for w, df := range cat.DF {
		if df >= size/10 && len(w) > 2 {
			common = append(common, w)
		}
	}
	slices.Sort(common)
	rare := max(2, size/400)

	seen := map[string]bool{}
	out := map[string][]querySpec{}
	add := func(class string, terms []string) {
		text := strings.Join(terms, " ")
		if seen[text] {
			return
		}
		seen[text] = true
		out[class] = append(out[class], querySpec{class, "/v1/bundles/search?" + url.Values{"q": {text}}.Encode()})
	}
	k := func() int { return 1 + r.IntN(3) }
	pick := func(ws []string, k int) []string {
		var terms []string
		for range k {
			terms = append(terms, ws[r.IntN(len(ws))])
		}
		return terms
	}
	for tries := 0; len(out[distinctSelective]) < n && tries < 20*n; tries++ {
		ws := words[r.IntN(size)]
		var rareWords []string
		for _, w := range ws {
			if cat.DF[w] <= rare {
				rareWords = append(rareWords, w)
			}
		}
		if len(rareWords) == 0 {
			continue
		}
		terms := append(pick(ws, k()-1), rareWords[r.IntN(len(rareWords))])
		r.Shuffle(len(terms), func(i, j int) { terms[i], terms[j] = terms[j], terms[i] })
		add(distinctSelective, terms)
	}
	for tries := 0; len(out[distinctBroad]) < n && tries < 20*n; tries++ {
		add(distinctBroad, pick(common, k()))
	}
	for tries := 0; len(out[distinctPrefix]) < n && tries < 20*n; tries++ {
		terms := pick(words[r.IntN(size)], k())
		last := terms[len(terms)-1]
		terms[len(terms)-1] = last[:1+r.IntN(len(last))]
		add(distinctPrefix, terms)
	}
	return out
}

// stream hands out a class's queries in order, each once, to every
// client; wrapped counts the queries handed out again after all were.
type stream struct {
	qs      []querySpec
	next    atomic.Int64
	wrapped atomic.Int64
}

func (s *stream) take() querySpec {
	i := s.next.Add(1) - 1
	if i >= int64(len(s.qs)) {
		s.wrapped.Add(1)
	}
	return s.qs[i%int64(len(s.qs))]
}
