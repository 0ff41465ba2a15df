package search

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// A list's bitset answers as its sorted ids do, through random adds and
// removes, growth of the id space, and lists crossing the share that
// gives or takes a bitset.
func TestDenseLookupAgreesWithList(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	d := &dictionary{lists: map[string]*postings{}, prefixes: map[string]*postings{}}
	lists := make([]*postings, 8)
	for i := range lists {
		lists[i] = &postings{}
		d.touch(lists[i])
	}
	n := 100
	d.settle(n)
	sawDense, sawSparse := false, false
	for round := range 300 {
		if round%50 == 49 {
			n += 200 // new bundles get new ids
		}
		for _, p := range lists {
			// Each list drifts towards its own share of the ids.
			want := 1 + slices.Index(lists, p)*n/8
			for range 1 + r.IntN(20) {
				id := int32(r.IntN(n))
				if len(p.docs) < want {
					p.add(id, float32(id)+0.5)
				} else {
					p.remove(id)
				}
				d.touch(p)
			}
		}
		d.settle(n)
		for li, p := range lists {
			if p.bits == nil {
				sawSparse = true
				continue
			}
			sawDense = true
			for id := range int32(n + 70) {
				i, in := slices.BinarySearch(p.docs, id)
				s, ok := p.lookup(id)
				if ok != in || in && s != p.scores[i] {
					t.Fatalf("round %d list %d id %d: lookup = %v %v, list has it: %v", round, li, id, s, ok, in)
				}
			}
		}
	}
	if !sawDense || !sawSparse {
		t.Fatalf("the test reached dense lists: %v, sparse lists: %v; want both", sawDense, sawSparse)
	}
}
