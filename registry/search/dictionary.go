package search

import (
	"slices"
	"sort"
	"strings"
)

// postings are the docs a word occurs in, by ascending doc id, with the
// word's score in each.
type postings struct {
	docs   []int32
	scores []float32
}

func (p *postings) add(id int32, score float32) {
	i, found := slices.BinarySearch(p.docs, id)
	if found {
		p.scores[i] = score
		return
	}
	p.docs = slices.Insert(p.docs, i, id)
	p.scores = slices.Insert(p.scores, i, score)
}

func (p *postings) remove(id int32) {
	if i, found := slices.BinarySearch(p.docs, id); found {
		p.docs = slices.Delete(p.docs, i, i+1)
		p.scores = slices.Delete(p.scores, i, i+1)
	}
}

// dictionary maps every word to its postings, and keeps the words sorted
// so that the words a prefix stands for are one contiguous range, found
// by binary search: a query typed so far costs no scan of the vocabulary.
type dictionary struct {
	lists map[string]*postings
	// words are the keys of lists, sorted. Words whose postings empty
	// stay until the next rebuild: they match nothing.
	words []string
}

// buildDictionary indexes docs (nil entries are free ids) at once: each
// postings list is appended to in id order, and the words are sorted once.
func buildDictionary(docs []*doc) *dictionary {
	d := &dictionary{lists: map[string]*postings{}}
	for id, doc := range docs {
		if doc == nil {
			continue
		}
		for i, w := range doc.terms {
			p := d.lists[w]
			if p == nil {
				p = &postings{}
				d.lists[w] = p
				d.words = append(d.words, w)
			}
			p.docs = append(p.docs, int32(id))
			p.scores = append(p.scores, doc.scores[i])
		}
	}
	slices.Sort(d.words)
	return d
}

// list returns word's postings, creating them if need be.
func (d *dictionary) list(word string) *postings {
	p := d.lists[word]
	if p == nil {
		p = &postings{}
		d.lists[word] = p
		i, _ := slices.BinarySearch(d.words, word)
		d.words = slices.Insert(d.words, i, word)
	}
	return p
}

// expand returns the words that start with prefix: a range of d.words.
func (d *dictionary) expand(prefix string) []string {
	lo, _ := slices.BinarySearch(d.words, prefix)
	// The words with the prefix come first among those after it.
	n := sort.Search(len(d.words)-lo, func(i int) bool { return !strings.HasPrefix(d.words[lo+i], prefix) })
	return d.words[lo : lo+n]
}

// add and remove index and unindex a doc's words.
func (d *dictionary) add(id int32, doc *doc) {
	for i, w := range doc.terms {
		d.list(w).add(id, doc.scores[i])
	}
}

func (d *dictionary) remove(id int32, doc *doc) {
	for _, w := range doc.terms {
		if p := d.lists[w]; p != nil {
			p.remove(id)
		}
	}
}
