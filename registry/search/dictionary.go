package search

import (
	"slices"
	"sort"
	"strings"
)

// postings are the docs a word occurs in, by ascending doc id, with the
// word's score in each.
type postings struct {
	// word is the dictionary's copy of the word (or prefix), which docs'
	// words point to.
	word string
	// id is the word's number, which docs hold instead of the word.
	id     int32
	docs   []int32
	scores []float32
	// dense is set for a long list (see dense.go).
	dense
	// touched: changed since the dictionary last settled.
	touched bool
}

func (p *postings) add(id int32, score float32) {
	i, found := slices.BinarySearch(p.docs, id)
	if found {
		p.scores[i] = score
		return
	}
	p.docs = slices.Insert(p.docs, i, id)
	p.scores = slices.Insert(p.scores, i, score)
	p.setBit(id)
}

func (p *postings) remove(id int32) {
	if i, found := slices.BinarySearch(p.docs, id); found {
		p.docs = slices.Delete(p.docs, i, i+1)
		p.scores = slices.Delete(p.scores, i, i+1)
		p.clearBit(id)
	}
}

// dictionary maps every word to its postings, and keeps the words sorted
// so that the words a prefix stands for are one contiguous range, found
// by binary search: a query typed so far costs no scan of the vocabulary.
type dictionary struct {
	lists map[string]*postings
	// prefixes holds, for every prefix of maxPrefix bytes or fewer, the
	// union of its words' postings, each doc with its best score among
	// them: what a word typed so far (one or two letters) stands for is
	// thousands of words, too many to merge per query.
	prefixes map[string]*postings
	// words are the keys of lists, sorted. Words whose postings empty
	// stay until the next rebuild: they match nothing.
	words []string
	// byID are lists by word id.
	byID []*postings
	// touched are the lists changed since the last settle.
	touched []*postings
}

// buildDictionary indexes docs (nil entries are free ids) at once: each
// postings list is appended to in id order, and the words are sorted once.
func buildDictionary(docs []*doc) *dictionary {
	d := &dictionary{lists: map[string]*postings{}, prefixes: map[string]*postings{}}
	for id, doc := range docs {
		if doc == nil {
			continue
		}
		doc.words = make([]int32, len(doc.terms))
		for i, w := range doc.terms {
			p := d.lists[w]
			if p == nil {
				p = d.newList(w)
				d.words = append(d.words, p.word)
			}
			doc.words[i] = p.id
			p.docs = append(p.docs, int32(id))
			p.scores = append(p.scores, doc.scores[i])
		}
		doc.eachPrefix(d, func(prefix string, score float32) {
			p := d.prefixes[prefix]
			if p == nil {
				p = &postings{word: strings.Clone(prefix)}
				d.prefixes[p.word] = p
			}
			p.docs = append(p.docs, int32(id))
			p.scores = append(p.scores, score)
		})
		doc.terms = nil
	}
	slices.Sort(d.words)
	for _, p := range d.lists {
		d.touch(p)
	}
	for _, p := range d.prefixes {
		d.touch(p)
	}
	d.settle(len(docs))
	return d
}

// maxPrefix is the longest prefix (in bytes) with precomputed postings.
// Longer prefixes stand for few enough words to merge per query.
const maxPrefix = 2

// eachPrefix calls fn with every prefix of maxPrefix bytes or fewer of
// d's words, once each, with the best score among the words it starts.
// d's words are sorted, so the words of one prefix are adjacent.
func (d *doc) eachPrefix(dict *dictionary, fn func(prefix string, score float32)) {
	for n := 1; n <= maxPrefix; n++ {
		var (
			cur  string
			best float32
			have bool
		)
		for i := range d.len() {
			w := d.term(dict, i)
			if len(w) < n {
				continue
			}
			if p := w[:n]; !have || p != cur {
				if have {
					fn(cur, best)
				}
				cur, best, have = p, d.scores[i], true
			} else {
				best = max(best, d.scores[i])
			}
		}
		if have {
			fn(cur, best)
		}
	}
}

// newList adds word's (empty) postings, numbered, to lists.
func (d *dictionary) newList(word string) *postings {
	// A copy: word is a slice of a document's text, which it would keep
	// in memory.
	p := &postings{word: strings.Clone(word), id: int32(len(d.byID))}
	d.lists[p.word] = p
	d.byID = append(d.byID, p)
	return p
}

// list returns word's postings, creating them if need be.
func (d *dictionary) list(word string) *postings {
	if p := d.lists[word]; p != nil {
		return p
	}
	p := d.newList(word)
	i, _ := slices.BinarySearch(d.words, p.word)
	d.words = slices.Insert(d.words, i, p.word)
	return p
}

// expand returns the words that start with prefix: a range of d.words.
func (d *dictionary) expand(prefix string) []string {
	lo, _ := slices.BinarySearch(d.words, prefix)
	// The words with the prefix come first among those after it.
	n := sort.Search(len(d.words)-lo, func(i int) bool { return !strings.HasPrefix(d.words[lo+i], prefix) })
	return d.words[lo : lo+n]
}

// add and remove index and unindex a doc's words and prefixes. add turns
// the doc's words into word ids.
func (d *dictionary) add(id int32, doc *doc) {
	doc.words = make([]int32, len(doc.terms))
	for i, w := range doc.terms {
		p := d.list(w)
		p.add(id, doc.scores[i])
		d.touch(p)
		doc.words[i] = p.id
	}
	doc.eachPrefix(d, func(prefix string, score float32) {
		p := d.prefixes[prefix]
		if p == nil {
			p = &postings{word: strings.Clone(prefix)}
			d.prefixes[p.word] = p
		}
		p.add(id, score)
		d.touch(p)
	})
	doc.terms = nil
}

func (d *dictionary) remove(id int32, doc *doc) {
	for _, w := range doc.words {
		p := d.byID[w]
		p.remove(id)
		d.touch(p)
	}
	doc.eachPrefix(d, func(prefix string, _ float32) {
		if p := d.prefixes[prefix]; p != nil {
			p.remove(id)
			d.touch(p)
		}
	})
}

// prefixList returns the postings of every word starting with prefix,
// merged, when they are precomputed (prefixes of maxPrefix bytes or fewer).
func (d *dictionary) prefixList(prefix string) (*postings, bool) {
	if len(prefix) > maxPrefix {
		return nil, false
	}
	p := d.prefixes[prefix]
	if p == nil {
		p = &postings{}
	}
	return p, true
}
