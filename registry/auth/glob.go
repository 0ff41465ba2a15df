package auth

import (
	"fmt"
	"strings"
)

// glob is a repository pattern split into path components. A component is
// "**" (any number of components, including none) or a pattern where "*"
// matches any run of characters within the component.
type glob struct {
	pattern string
	parts   []string
	literal int // bytes before the first wildcard: the rule's specificity
}

// globChars are the characters a glob may hold: those of OCI repository
// names plus "*". Anything else (upper case, "?", "[", "{") could never
// match or would mean something else in other glob dialects, so it is an
// error rather than a rule that silently never applies.
const globChars = "abcdefghijklmnopqrstuvwxyz0123456789._-/*"

func parseGlob(pattern string) (glob, error) {
	if pattern == "" {
		return glob{}, fmt.Errorf("empty repository glob")
	}
	if i := strings.IndexFunc(pattern, func(r rune) bool { return !strings.ContainsRune(globChars, r) }); i >= 0 {
		r := []rune(pattern[i:])[0]
		return glob{}, fmt.Errorf("invalid repository glob %q: character %q not allowed (use lower-case repository names, / and *)", pattern, r)
	}
	parts := strings.Split(pattern, "/")
	for _, p := range parts {
		switch {
		case p == "":
			return glob{}, fmt.Errorf("invalid repository glob %q: empty path component", pattern)
		case p != "**" && strings.Contains(p, "**"):
			return glob{}, fmt.Errorf("invalid repository glob %q: ** must be a whole path component", pattern)
		}
	}
	lit := strings.IndexByte(pattern, '*')
	if lit < 0 {
		lit = len(pattern)
	}
	return glob{pattern: pattern, parts: parts, literal: lit}, nil
}

// match reports whether repository matches. It is the classic wildcard
// algorithm (remember the last star, retry one element further on a
// mismatch), over components for "**" and over bytes for "*": linear
// backtracking, never exponential, whatever the input.
func (g glob) match(repository string) bool {
	if repository == "" {
		return false
	}
	path := strings.Split(repository, "/")
	pi, si := 0, 0      // pattern and path positions
	star, mark := -1, 0 // last "**" and the path position it was tried at
	for si < len(path) {
		switch {
		case pi < len(g.parts) && g.parts[pi] == "**":
			star, mark = pi, si
			pi++
		case pi < len(g.parts) && matchComponent(g.parts[pi], path[si]):
			pi++
			si++
		case star >= 0:
			mark++
			pi, si = star+1, mark
		default:
			return false
		}
	}
	for pi < len(g.parts) && g.parts[pi] == "**" {
		pi++
	}
	return pi == len(g.parts)
}

// matchComponent matches one component where "*" matches any bytes.
func matchComponent(pattern, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(pattern) && pattern[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(pattern) && pattern[pi] == s[si]:
			pi++
			si++
		case star >= 0:
			mark++
			pi, si = star+1, mark
		default:
			return false
		}
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}

// moreSpecific orders rules: longest literal prefix, then longer pattern,
// then lexical order, so the first match in that order is the one zot
// would pick.
func moreSpecific(a, b glob) bool {
	if a.literal != b.literal {
		return a.literal > b.literal
	}
	if len(a.pattern) != len(b.pattern) {
		return len(a.pattern) > len(b.pattern)
	}
	return a.pattern < b.pattern
}
