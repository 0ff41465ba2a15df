package resolve

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Latest is the query for the highest released version. It is also what an
// empty query means, as with "npm install pkg".
const Latest = "latest"

// ValidateQuery reports whether query can be resolved at all: "" or "latest",
// a tag, a version (build metadata included), or a semver range. Reference
// parsers call it so a typo fails before any network round trip.
func ValidateQuery(query string) error {
	if query == "" || query == Latest || validTag(query) {
		return nil
	}
	if _, err := TagFor(query); err == nil {
		return nil
	}
	if strings.TrimSpace(query) != query {
		// Masterminds trims them, but a tag never has them, and the same
		// query would otherwise have two spellings.
		return fmt.Errorf("%w %q: remove the spaces around it", ErrInvalidQuery, query)
	}
	if _, err := semver.NewConstraint(query); err == nil {
		return nil
	}
	return fmt.Errorf("%w %q: ask for an exact version (1.2.0), latest, or a semver range (^1.2, ~1.2.3, \">=1 <2\", 1.x)", ErrInvalidQuery, query)
}

// Select returns the tag that query names among tags, the tag list of one
// repository:
//
//   - "" and "latest" mean the highest semver release by precedence, never the
//     most recent push and never a prerelease. A literal "latest" tag is used
//     only when no release is tagged with a semantic version, so repositories
//     that just tag "latest" keep working.
//   - A query equal to a tag, or to the version a tag holds ("1.2.0+b" for the
//     tag "1.2.0_b"), selects that tag.
//   - Anything else is a semver range ("^1.2", "~1.2.3", ">=1 <2", "1.x") and
//     selects the highest matching version. Prereleases match only when the
//     range itself names one, so "^2" does not pick "2.0.0-rc.1".
//
// Signature, attestation and referrer tags (see IsVersionTag) are never
// selected. When nothing matches the error is a *NoMatchError listing what is
// available; a query that is not a version, tag or range wraps ErrInvalidQuery.
func Select(tags []string, query string) (string, error) {
	if err := ValidateQuery(query); err != nil {
		return "", err
	}
	semvers, others := classify(tags)
	noMatch := func() error {
		return &NoMatchError{Query: query, Available: available(semvers, others)}
	}

	if query == "" || query == Latest {
		for _, s := range semvers {
			if s.version.Prerelease() == "" {
				return s.tag, nil
			}
		}
		for _, tag := range others {
			if tag == Latest {
				return tag, nil
			}
		}
		return "", noMatch()
	}

	// An exact tag wins over reading the query as a range: "1.2" may be a
	// rolling alias tag that the publisher maintains on purpose.
	want := query
	if tag, err := TagFor(query); err == nil {
		want = tag
	}
	for _, s := range semvers {
		if s.tag == query || s.tag == want {
			return s.tag, nil
		}
	}
	for _, tag := range others {
		if tag == query || tag == want {
			return tag, nil
		}
	}

	c, err := semver.NewConstraint(query)
	if err != nil {
		// The query is a well-formed tag that is simply not there.
		return "", noMatch()
	}
	for _, s := range semvers {
		if c.Check(s.version) {
			return s.tag, nil
		}
	}
	return "", noMatch()
}

// available lists the visible versions as users write them, highest first.
func available(semvers []semverTag, others []string) []string {
	out := make([]string, 0, len(semvers)+len(others))
	for _, s := range semvers {
		out = append(out, VersionOf(s.tag))
	}
	return append(out, others...)
}

// IsExact reports whether a version query names one tag rather than a rule,
// so a cached resolution of it can be reused without listing tags.
func IsExact(query string) bool {
	return query != "" && query != Latest && !strings.ContainsAny(query, "^~<>=*| xX") && strings.Count(query, ".") >= 2
}
