package search

// minTypoLength is the shortest word read as a typo: shorter words are
// one edit away from too many others to guess which was meant.
const minTypoLength = 4

// typoAlphabet is what an edit may insert or substitute: the letters and
// digits of the words fulltext produces (others are rare enough to miss).
const typoAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// oneEditAway returns the dictionary's words (with postings) one edit from
// w: one letter deleted, inserted, substituted, or two neighbours swapped.
// It generates the candidates and looks each up (a few hundred map
// lookups) rather than comparing w with the whole vocabulary.
func (d *dictionary) oneEditAway(w string) []string {
	if len(w) < minTypoLength {
		return nil
	}
	var out []string
	seen := map[string]bool{w: true}
	try := func(c string) {
		if seen[c] {
			return
		}
		seen[c] = true
		if p := d.lists[c]; p != nil && len(p.docs) > 0 {
			out = append(out, c)
		}
	}
	for i := range len(w) {
		try(w[:i] + w[i+1:])
		if i+1 < len(w) {
			try(w[:i] + string(w[i+1]) + string(w[i]) + w[i+2:])
		}
		for _, c := range typoAlphabet {
			try(w[:i] + string(c) + w[i+1:])
		}
	}
	for i := range len(w) + 1 {
		for _, c := range typoAlphabet {
			try(w[:i] + string(c) + w[i:])
		}
	}
	return out
}
