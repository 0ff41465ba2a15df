package search

import (
	"math/bits"
	"slices"
)

// A broad query intersects postings lists of thousands of docs each:
// merging two lists reads both, and galloping pays a binary search per
// candidate. A list holding a good share of all docs also keeps a bitset
// over doc ids, with the count of set bits before each of its words, so
// that testing a candidate and finding its score cost a few instructions
// whatever the list's length. The bitset costs n/8 bytes and the counts
// n/16 for n doc ids: at most three quarters of what the list itself
// holds, given denseShare.

// denseShare: a list keeps a bitset when it holds at least one doc id in
// denseShare; it drops it below half that, so that a list at the edge
// does not build and drop one with every change.
const denseShare = 32

// dense is a list's bitset: bits has bit id%64 of word id/64 set when the
// list holds id, and rank[w] counts the bits set in the words before w,
// which is the position of the first of w's ids in the list.
type dense struct {
	bits []uint64
	rank []int32
}

// lookup returns p's score for id when p holds it. p.bits must be set and
// current (see dictionary.settle).
func (p *postings) lookup(id int32) (float32, bool) {
	w := int(id >> 6)
	if w >= len(p.bits) {
		return 0, false
	}
	if p.bits[w]&(1<<(id&63)) == 0 {
		return 0, false
	}
	return p.scoreAt(id), true
}

// scoreAt is p's score for id, which p must hold: the id's position in
// the list is the bits set before it.
func (p *postings) scoreAt(id int32) float32 {
	w := id >> 6
	return p.scores[int(p.rank[w])+bits.OnesCount64(p.bits[w]&(1<<(id&63)-1))]
}

// densify (re)builds p's bitset for ids below n, from its list.
func (p *postings) densify(n int) {
	words := (n + 63) / 64
	if cap(p.bits) >= words {
		p.bits = p.bits[:words]
		clear(p.bits)
	} else {
		p.bits = make([]uint64, words)
	}
	for _, id := range p.docs {
		p.bits[id>>6] |= 1 << (id & 63)
	}
	p.recount()
}

// recount brings p.rank up to date with p.bits.
func (p *postings) recount() {
	if cap(p.rank) >= len(p.bits) {
		p.rank = p.rank[:len(p.bits)]
	} else {
		p.rank = make([]int32, len(p.bits))
	}
	var n int32
	for w, word := range p.bits {
		p.rank[w] = n
		n += int32(bits.OnesCount64(word))
	}
}

// setBit and clearBit keep a bitset in step with an added or removed id;
// the counts wait for settle.
func (p *postings) setBit(id int32) {
	if p.bits == nil {
		return
	}
	w := int(id >> 6)
	if w >= len(p.bits) {
		p.bits = append(p.bits, make([]uint64, w+1-len(p.bits))...)
	}
	p.bits[w] |= 1 << (id & 63)
}

func (p *postings) clearBit(id int32) {
	if w := int(id >> 6); w < len(p.bits) {
		p.bits[w] &^= 1 << (id & 63)
	}
}

// settle brings every list changed since the last settle to a consistent
// state for searching among n doc ids: a long list gets a bitset, a
// short one loses it, and a kept bitset is recounted. Whoever changes
// the postings calls it before searches may read them again.
func (d *dictionary) settle(n int) {
	for _, p := range d.touched {
		p.touched = false
		switch share := len(p.docs) * denseShare; {
		case p.bits == nil && share >= n:
			p.densify(n)
		case p.bits != nil && share*2 < n:
			p.dense = dense{}
		case p.bits != nil:
			p.recount()
		}
	}
	d.touched = d.touched[:0]
}

// touch records that p changed, for settle.
func (d *dictionary) touch(p *postings) {
	if !p.touched {
		p.touched = true
		d.touched = append(d.touched, p)
	}
}

// andDense appends to hits the docs every list holds, with the sum of
// their scores: when every list has a bitset, a query of common words
// costs one AND per 64 doc ids and a look-up per match, not a walk of
// thousands of ids.
func andDense(sc *scratch, hits []hit, lists []*postings) []hit {
	n := len(lists[0].bits)
	for _, p := range lists[1:] {
		n = min(n, len(p.bits))
	}
	and := slices.Grow(sc.and[:0], n)[:n]
	copy(and, lists[0].bits)
	for _, p := range lists[1:] {
		for w, word := range p.bits[:n] {
			and[w] &= word
		}
	}
	for w, word := range and {
		for word != 0 {
			id := int32(w<<6 | bits.TrailingZeros64(word))
			word &= word - 1
			var score float32
			for _, p := range lists {
				score += p.scoreAt(id)
			}
			hits = append(hits, hit{id: id, score: score})
		}
	}
	sc.and = and
	return hits
}
