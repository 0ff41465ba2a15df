package resolve

import (
	"fmt"
	"strings"
	"unicode"
)

// validTag checks the tag grammar of the OCI distribution spec,
// [A-Za-z0-9_][A-Za-z0-9._-]{0,127}. Registries reject anything else, so a
// version that does not fit cannot be pushed as is. It is written out rather
// than as a regexp: the bounded repetition compiles to a large program at
// start-up, and every `mpak run` pays for start-up.
func validTag(tag string) bool {
	if len(tag) == 0 || len(tag) > 128 || tag[0] == '.' || tag[0] == '-' {
		return false
	}
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// isFallbackTag matches the referrers tag schema "<alg>-<encoded>" that
// registries without the referrers API (distribution v3, GHCR) carry for
// every signed or attested manifest: [a-z0-9]{1,32}-[a-f0-9]{64,}. The spec
// truncates the algorithm to 32 and the encoded part to 64 characters;
// requiring at least 64 hex digits keeps short tags such as "build-1a2b3c"
// (a git hash) visible as versions.
func isFallbackTag(tag string) bool {
	alg, enc, ok := strings.Cut(tag, "-")
	if !ok || len(alg) < 1 || len(alg) > 32 || len(enc) < 64 {
		return false
	}
	for i := 0; i < len(alg); i++ {
		if c := alg[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	for i := 0; i < len(enc); i++ {
		if c := enc[i]; !(c >= 'a' && c <= 'f' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// artifactTagSuffixes are cosign's tag-based attachments ("sha256-<hex>.sig"
// and friends). They point at signatures, attestations and SBOMs, never at a
// bundle.
var artifactTagSuffixes = []string{".sig", ".att", ".sbom"}

// IsVersionTag reports whether tag can name a bundle version. Tags that only
// exist to attach signatures, attestations or referrers are not versions and
// must never be offered to users or chosen by Select. Strings that are not
// valid OCI tags at all are not versions either.
func IsVersionTag(tag string) bool {
	if !validTag(tag) || isFallbackTag(tag) {
		return false
	}
	for _, suffix := range artifactTagSuffixes {
		if strings.HasSuffix(tag, suffix) {
			return false
		}
	}
	return true
}

// TagFor returns the OCI tag that holds version. Tags cannot contain '+', so
// semver build metadata is written with '_' instead ("1.2.0+build.5" becomes
// "1.2.0_build.5"), the convention Helm uses for charts in OCI registries.
// Anything else that does not fit the tag grammar is an error rather than a
// silent rewrite, because the user would then not find the version they pushed.
func TagFor(version string) (string, error) {
	tag := version
	if strings.Contains(version, "+") {
		// Only semver has a meaning for '+'; mapping it anywhere else would
		// produce a tag that VersionOf cannot turn back into the version.
		if _, ok := parseSemver(version); !ok {
			return "", fmt.Errorf("version %q cannot be an OCI tag: '+' is only allowed before semver build metadata (1.2.0+build.5); remove it or write a semantic version", version)
		}
		tag = strings.Replace(version, "+", "_", 1)
	}
	if problem := tagProblem(tag); problem != "" {
		return "", fmt.Errorf("version %q cannot be an OCI tag: %s; %s", version, problem, tagGrammar)
	}
	return tag, nil
}

// VersionOf undoes TagFor: a tag that reads as a semantic version once its
// single '_' becomes '+' is returned in that form; any other tag is returned
// unchanged. Semver allows '_' nowhere, so the mapping is unambiguous.
func VersionOf(tag string) string {
	if strings.Count(tag, "_") != 1 {
		return tag
	}
	version := strings.Replace(tag, "_", "+", 1)
	if _, ok := parseSemver(version); ok {
		return version
	}
	return tag
}

// tagGrammar is appended to every tag error so the user sees the rule, not
// just the violation.
const tagGrammar = "tags are 1 to 128 letters, digits, '_', '.' and '-', and do not start with '.' or '-'"

// CheckTag returns nil if tag fits the OCI tag grammar, or an error naming
// the first problem (the offending character, if there is one) and the rule.
func CheckTag(tag string) error {
	if problem := tagProblem(tag); problem != "" {
		return fmt.Errorf("invalid tag %q: %s; %s", tag, problem, tagGrammar)
	}
	return nil
}

// tagProblem describes why s is not a valid tag, or returns "".
func tagProblem(s string) string {
	if validTag(s) {
		return ""
	}
	switch {
	case s == "":
		return "it is empty"
	case len(s) > 128:
		return fmt.Sprintf("it is %d characters long", len(s))
	case s[0] == '.' || s[0] == '-':
		return fmt.Sprintf("it starts with %q", s[0])
	}
	for _, r := range s {
		if !isTagChar(r) {
			return "it contains " + describeRune(r)
		}
	}
	return "it does not fit the grammar"
}

func isTagChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-'
}

// describeRune quotes r, adding its code point when it would be invisible.
func describeRune(r rune) string {
	if unicode.IsSpace(r) || !unicode.IsPrint(r) {
		return fmt.Sprintf("%q (%U)", r, r)
	}
	return fmt.Sprintf("%q", r)
}
