package mediatypes

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// EscapeASCII escapes the non-ASCII runes of an annotation value as \uXXXX
// and leaves ASCII as it is: some registries reject non-ASCII annotation
// values (Helm escapes them for the same reason). Every writer of mpak
// annotations uses it, so readers see one spelling.
func EscapeASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			q := strconv.QuoteToASCII(s)
			q = q[1 : len(q)-1]
			// Undo the quoting of what was ASCII already.
			return strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(q)
		}
	}
	return s
}
