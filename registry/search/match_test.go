package search_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
)

// Matching against a brute-force reading of the rule (every word, the last
// as a prefix, in the latest version's words) over a random catalog whose
// vocabulary makes the engine take each of its paths: precomputed short
// prefixes, a longer prefix standing for one word or for many (merged, or
// checked in each candidate's words), words alone and together.
func TestMatchingAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var vocabulary []string
	for i := range 80 {
		vocabulary = append(vocabulary, fmt.Sprintf("abc%d", i)) // one long prefix, many words
	}
	for i := range 20 {
		vocabulary = append(vocabulary, fmt.Sprintf("word%c%c", 'a'+i%5, 'a'+i/5))
	}
	vocabulary = append(vocabulary, "rare", "rarely", "zebra")

	st, err := sqlite.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := withEngine(t, st)
	words := map[string][]string{}
	for i := range 120 {
		repo := fmt.Sprintf("r/b%03d", i)
		n := 1 + r.IntN(30)
		var ws []string
		for range n {
			ws = append(ws, vocabulary[r.IntN(len(vocabulary))])
		}
		if i%40 == 0 {
			ws = append(ws, "rare")
		}
		words[repo] = append(ws, "r", fmt.Sprintf("b%03d", i))
		put(t, s, version(repo, "1.0.0", strings.Join(ws, " ")))
	}

	want := func(terms []string) []string {
		var out []string
		for repo, ws := range words {
			ok := true
			for i, term := range terms {
				last := i == len(terms)-1
				if !slices.ContainsFunc(ws, func(w string) bool { return w == term || last && strings.HasPrefix(w, term) }) {
					ok = false
					break
				}
			}
			if ok {
				out = append(out, repo)
			}
		}
		slices.Sort(out)
		return out
	}
	queries := [][]string{{"a"}, {"ab"}, {"abc"}, {"abc1"}, {"abc79"}, {"rare"}, {"rare", "abc"}, {"rare", "ab"},
		{"rare", "abc7"}, {"worda", "abc"}, {"zebra", "word"}, {"rare", "wor"}, {"r"}, {"zebra", "rare"}}
	for range 200 {
		q := []string{}
		for range 1 + r.IntN(3) {
			q = append(q, vocabulary[r.IntN(len(vocabulary))])
		}
		last := q[len(q)-1]
		q[len(q)-1] = last[:1+r.IntN(len(last))]
		queries = append(queries, q)
	}
	for _, terms := range queries {
		text := strings.Join(terms, " ")
		res, err := s.Search(t.Context(), catalog.Query{Text: text, Sort: catalog.SortName, Limit: catalog.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		wantRepos := want(terms)
		if len(wantRepos) == 0 {
			continue // a typo may be forgiven: TestTypoInTheLastWord's business
		}
		var got []string
		for _, b := range res.Bundles {
			got = append(got, b.Repository)
		}
		if res.Total != len(wantRepos) || !slices.Equal(got, wantRepos[:min(len(wantRepos), catalog.MaxLimit)]) {
			t.Errorf("search %q: %d matches %q, want %d %q", text, res.Total, got, len(wantRepos), wantRepos)
		}
	}
}
