package resolve

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// tagPattern is the tag grammar of the OCI distribution spec. Registries
// reject anything else, so a version that does not fit cannot be pushed as is.
var tagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)

// fallbackTagPattern matches the referrers tag schema "<alg>-<encoded>" that
// registries without the referrers API (distribution v3, GHCR) carry for every
// signed or attested manifest. The spec truncates the algorithm to 32 and the
// encoded part to 64 characters; requiring at least 64 hex digits keeps short
// tags such as "build-1a2b3c" (a git hash) visible as versions.
var fallbackTagPattern = regexp.MustCompile(`^[a-z0-9]{1,32}-[a-f0-9]{64,}$`)

// artifactTagSuffixes are cosign's tag-based attachments ("sha256-<hex>.sig"
// and friends). They point at signatures, attestations and SBOMs, never at a
// bundle.
var artifactTagSuffixes = []string{".sig", ".att", ".sbom"}

// IsVersionTag reports whether tag can name a bundle version. Tags that only
// exist to attach signatures, attestations or referrers are not versions and
// must never be offered to users or chosen by Select. Strings that are not
// valid OCI tags at all are not versions either.
func IsVersionTag(tag string) bool {
	if !tagPattern.MatchString(tag) || fallbackTagPattern.MatchString(tag) {
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
	if tagPattern.MatchString(s) {
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
