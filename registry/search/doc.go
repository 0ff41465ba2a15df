package search

import (
	"hash/fnv"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/internal/fulltext"
	"github.com/mpak-oci/mpak/registry/internal/platform"
)

// Field weights, in the ratios both SQL stores rank with (PostgreSQL's
// ts_rank weights A, B, B, C, C, D): a name match outweighs anything the
// prose says, and a tool name outweighs the description.
var fieldWeights = [...]float32{
	1.0, // name and repository path
	0.4, // display name
	0.4, // tool names
	0.2, // keywords
	0.2, // description
	0.1, // long description and tool descriptions
}

// doc is one listed bundle as the engine holds it: the summary search
// results return, what the filters and sorts read, and its words. A doc
// is never changed once built; a change replaces it.
type doc struct {
	// bundle is what a search returns: the store's, without the latest
	// version's manifest.json, provenance and long description, which no
	// search result shows and which would be most of the engine's memory.
	bundle catalog.Bundle
	// textHash identifies the words: a change that keeps them keeps the
	// postings.
	textHash uint64

	serverType string
	platforms  string // platform.List of the latest version's builds
	// platformList is platforms split, for facets.
	platformList []string
	level        int
	signed       bool
	downloads    int64
	updated      time.Time

	// terms are the distinct words of text, sorted, with each one's score:
	// prefix matches are checked against them, and postings are removed
	// by them. Once the dictionary holds the doc (buildDictionary, add), words
	// are the terms as word ids, in the same order, and terms is nil: an
	// id is 4 bytes the garbage collector never looks into, where a string
	// is 16 with a pointer it must follow, a million and a half of them in
	// a catalog of 20,000 bundles.
	terms  []string
	words  []int32
	scores []float32
}

// len is how many distinct words d has.
func (d *doc) len() int { return len(d.scores) }

// term is d's i-th word.
func (d *doc) term(dict *dictionary, i int) string {
	if d.terms != nil {
		return d.terms[i]
	}
	return dict.byID[d.words[i]].word
}

// find is the index of the first of d's words not below w.
func (d *doc) find(dict *dictionary, w string) int {
	return sort.Search(d.len(), func(i int) bool { return d.term(dict, i) >= w })
}

// newDoc builds the doc of a bundle.
func newDoc(b *catalog.Bundle) *doc {
	text := fulltext.New(&b.Latest)
	d := &doc{
		bundle:     *b,
		textHash:   hashText(text),
		serverType: b.Latest.ServerType,
		platforms:  platform.List(b.Latest.Builds),
		level:      b.Latest.Level,
		signed:     b.Latest.Signed,
		downloads:  b.Downloads,
		updated:    b.UpdatedAt,
	}
	d.platformList = slices.Compact(slices.Sorted(slices.Values(strings.Fields(d.platforms))))
	d.terms, d.scores = weigh(text)
	d.bundle.Latest.Manifest, d.bundle.Latest.Provenance, d.bundle.Latest.LongDescription = nil, nil, ""
	compact(&d.bundle)
	return d
}

// compact moves the strings a search result shows into one block of
// memory, and the tools and builds into one array each. Read as the
// store returned them, a result's twenty-odd strings lie all over the
// heap: writing a page of twenty results then waited on hundreds of
// cache misses, more than the search itself took.
func compact(b *catalog.Bundle) {
	v := &b.Latest
	fields := []*string{&b.Repository, &v.Repository, &v.Version, &v.Tag, &v.Digest, &v.Name, &v.DisplayName, &v.Description,
		&v.ServerType, &v.ManifestVersion, &v.Author, &v.License, &v.Homepage, &v.SourceURL, &v.YankReason, &v.Tampered}
	v.Tools = slices.Clone(v.Tools)
	for i := range v.Tools {
		fields = append(fields, &v.Tools[i].Name, &v.Tools[i].Description)
	}
	v.Builds = slices.Clone(v.Builds)
	for i := range v.Builds {
		fields = append(fields, &v.Builds[i].Platform, &v.Builds[i].ManifestDigest, &v.Builds[i].LayerDigest)
	}
	n := 0
	for _, f := range fields {
		n += len(*f)
	}
	var block strings.Builder
	block.Grow(n)
	for _, f := range fields {
		block.WriteString(*f)
	}
	all, at := block.String(), 0
	for _, f := range fields {
		*f, at = all[at:at+len(*f)], at+len(*f)
	}
}

// hashText is a hash of a document's fields.
func hashText(text fulltext.Document) uint64 {
	h := fnv.New64a()
	for _, f := range [...]string{text.Name, text.DisplayName, text.Tools, text.Keywords, text.Description, text.Details} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// weigh scores each word of a document: per field its weight, growing
// with the word's repetitions but slowly (1 + ln tf), summed over fields.
func weigh(text fulltext.Document) ([]string, []float32) {
	fields := [...]string{text.Name, text.DisplayName, text.Tools, text.Keywords, text.Description, text.Details}
	type count struct{ tf [len(fieldWeights)]int }
	counts := map[string]*count{}
	for f, s := range fields {
		for w := range strings.FieldsSeq(s) {
			c := counts[w]
			if c == nil {
				c = &count{}
				counts[w] = c
			}
			c.tf[f]++
		}
	}
	terms := make([]string, 0, len(counts))
	for w := range counts {
		terms = append(terms, w)
	}
	slices.Sort(terms)
	scores := make([]float32, len(terms))
	for i, w := range terms {
		for f, tf := range counts[w].tf {
			if tf > 0 {
				scores[i] += fieldWeights[f] * (1 + float32(math.Log(float64(tf))))
			}
		}
	}
	return terms, scores
}

// prefixScore is the best score among d's words that start with prefix,
// and whether there is one.
func (d *doc) prefixScore(dict *dictionary, prefix string) (float32, bool) {
	var best float32
	found := false
	for i := d.find(dict, prefix); i < d.len() && strings.HasPrefix(d.term(dict, i), prefix); i++ {
		found = true
		best = max(best, d.scores[i])
	}
	return best, found
}

// The filters, one bit each: a doc's misses are the filters it fails.
const (
	missType = 1 << iota
	missLevel
	missSigned
	missPlatform
	// missHidden is the read rule's: no facet lifts it.
	missHidden
)

// misses tells which of q's filters (all but the text) d fails: none
// (0) is a match.
func (d *doc) misses(q *catalog.Query, platforms []string) int {
	m := 0
	if q.Type != "" && d.serverType != q.Type {
		m |= missType
	}
	if q.MinLevel > 0 && d.level < q.MinLevel {
		m |= missLevel
	}
	if q.Signed != nil && d.signed != *q.Signed {
		m |= missSigned
	}
	if platforms != nil && !slices.ContainsFunc(platforms, func(sub string) bool { return strings.Contains(d.platforms, sub) }) {
		m |= missPlatform
	}
	return m
}
