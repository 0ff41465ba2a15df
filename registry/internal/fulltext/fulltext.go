// Package fulltext turns bundle metadata and search text into the plain
// words both stores index. Doing it in Go, once, is what makes SQLite FTS5
// and PostgreSQL tsvector agree: each database only ever sees lowercase
// letters-and-digits words separated by spaces, so their tokenizers have
// nothing left to disagree about (punctuation, accents, case), and no
// query text can be FTS5 or tsquery syntax.
package fulltext

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/mpak-oci/mpak/registry/catalog"
)

const (
	// maxWord drops longer "words": nobody searches for base64 blobs, and
	// PostgreSQL refuses lexemes over 2 KiB.
	maxWord = 64
	// maxFieldWords bounds a field (a long description can be a README),
	// keeping every bundle's index entry small.
	maxFieldWords = 2000
	// maxTerms bounds the work one query can ask for.
	maxTerms = 16
)

// Document is the text a bundle is found by, one field per weight class,
// highest first. Each field is space-separated words.
type Document struct {
	// Name is the repository path and the manifest name.
	Name        string
	DisplayName string
	// Tools holds the tool names.
	Tools       string
	Keywords    string
	Description string
	// Details holds the long description and tool descriptions: matched,
	// but weighted lowest.
	Details string
}

// New builds the document of a version.
func New(v *catalog.Version) Document {
	var tools, details []string
	for _, t := range v.Tools {
		tools = append(tools, t.Name)
		details = append(details, t.Description)
	}
	details = append([]string{v.LongDescription}, details...)
	return Document{
		Name:        field(true, v.Repository, v.Name),
		DisplayName: field(true, v.DisplayName),
		Tools:       field(true, tools...),
		Keywords:    field(true, v.Keywords...),
		Description: field(false, v.Description),
		Details:     field(false, details...),
	}
}

// field joins the words of texts. Identifier-like fields are deduplicated
// (a name is no more relevant for repeating itself); prose keeps its
// repetitions, which the ranking functions weigh.
func field(dedupe bool, texts ...string) string {
	var words []string
	seen := map[string]bool{}
	for _, text := range texts {
		for _, w := range split(text, true) {
			if dedupe && seen[w] {
				continue
			}
			seen[w] = true
			words = append(words, w)
			if len(words) == maxFieldWords {
				return strings.Join(words, " ")
			}
		}
	}
	return strings.Join(words, " ")
}

// Terms are the words a search text looks for, all of them required, the
// last matched as a prefix too (so "weath" finds "weather" as it is typed,
// and the other words cost no prefix scans). Anything
// but letters and digits separates words, so `"weather"`, `c++`,
// `foo:bar`, `-x` and `*` are plain words or nothing; no terms means the
// text does not restrict the search.
func Terms(text string) []string {
	var terms []string
	seen := map[string]bool{}
	for _, w := range split(text, false) {
		if !seen[w] {
			seen[w] = true
			terms = append(terms, w)
		}
		if len(terms) == maxTerms {
			break
		}
	}
	return terms
}

// fold removes accents (é → e) and compatibility forms (ﬁ → fi), so
// "cafe" finds "Café".
// A chained Transformer keeps state between calls, so it must not be
// shared by goroutines: each call takes one from the pool.
var folds = sync.Pool{New: func() any {
	return transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}}

// split returns the lowercase words of s. With parts, a camelCase or
// PascalCase word also yields its parts, so "forecast" finds the tool
// getForecast.
func split(s string, parts bool) []string {
	// ASCII has nothing to fold, and is nearly all the text there is.
	if !isASCII(s) {
		fold := folds.Get().(transform.Transformer)
		if folded, _, err := transform.String(fold, s); err == nil {
			s = folded
		}
		folds.Put(fold)
	}
	var words []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) }) {
		if len(w) > maxWord {
			continue
		}
		words = append(words, strings.ToLower(w))
		if !parts {
			continue
		}
		if !hasInnerUpper(w) {
			continue
		}
		if ps := camelParts(w); len(ps) > 1 {
			for _, p := range ps {
				words = append(words, strings.ToLower(p))
			}
		}
	}
	return words
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// hasInnerUpper is whether an upper-case letter follows the first rune:
// only such words have camelCase parts.
func hasInnerUpper(w string) bool {
	for i, r := range w {
		if i > 0 && unicode.IsUpper(r) {
			return true
		}
	}
	return false
}

// camelParts splits getForecast into get, Forecast and HTTPServer into
// HTTP, Server.
func camelParts(w string) []string {
	rs := []rune(w)
	var out []string
	start := 0
	for i := 1; i < len(rs); i++ {
		if !unicode.IsUpper(rs[i]) {
			continue
		}
		lowerBefore := unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1])
		acronymEnd := unicode.IsUpper(rs[i-1]) && i+1 < len(rs) && unicode.IsLower(rs[i+1])
		if lowerBefore || acronymEnd {
			out = append(out, string(rs[start:i]))
			start = i
		}
	}
	return append(out, string(rs[start:]))
}
