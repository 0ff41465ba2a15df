package ref

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// componentPattern is one path component of a repository name as the OCI
// distribution spec defines it. Scopes and names become such components, so
// they obey the same rule.
var componentPattern = regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$`)

// maxNameLength is the limit most clients and registries put on
// "host/repository" (the distribution spec mentions 255); failing here beats
// a push that fails half way.
const maxNameLength = 255

// checkComponent returns why s is not a valid path component, or "" if it is.
// what names the part for the message ("scope", "name", "repository").
func checkComponent(what, s string) string {
	if componentPattern.MatchString(s) {
		return ""
	}
	if s == "" {
		return fmt.Sprintf("the %s is empty", what)
	}
	if strings.ToLower(s) != s {
		return fmt.Sprintf("%s %q has uppercase letters, and names must be lowercase: write %q", what, s, strings.ToLower(s))
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Sprintf("%s %q contains %s: names may only use lowercase letters, digits, '.', '_' and '-'", what, s, describeRune(r))
		}
	}
	return fmt.Sprintf("%s %q must start and end with a letter or digit, and separate words with one '.', one or two '_', or dashes", what, s)
}

// checkPath validates every '/'-separated component of a repository path.
func checkPath(what, path string) string {
	for _, c := range strings.Split(path, "/") {
		if c == "" {
			return fmt.Sprintf("the %s %q has an empty path component: remove the extra '/'", what, path)
		}
		if reason := checkComponent(what+" component", c); reason != "" {
			return reason
		}
	}
	return ""
}

// describeRune quotes r so that invisible characters are still visible in
// an error message.
func describeRune(r rune) string {
	if unicode.IsSpace(r) || !unicode.IsPrint(r) {
		return fmt.Sprintf("%q (%U)", r, r)
	}
	return fmt.Sprintf("%q", r)
}

// looksLikeHost applies the docker rule for telling a registry host from the
// first path component: only hosts contain '.' or ':' or are "localhost".
func looksLikeHost(component string) bool {
	return strings.ContainsAny(component, ".:") || component == "localhost"
}
