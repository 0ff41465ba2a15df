package resolve

import (
	"errors"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// ErrInvalidQuery is wrapped by every error about a query that is neither a
// tag, a version nor a range, so callers can tell a typo from a missing
// version with errors.Is.
var ErrInvalidQuery = errors.New("invalid version query")

// maxListed bounds how many versions an error message spells out: enough to
// show what exists without burying the message under a long history.
const maxListed = 10

// NoMatchError reports that no published version satisfies a query.
type NoMatchError struct {
	// Query is what was asked for; "" means latest.
	Query string
	// Available are the published versions, highest first, with build
	// metadata spelled with '+' as users write it (see VersionOf).
	Available []string
}

func (e *NoMatchError) Error() string {
	query := e.Query
	if query == "" {
		query = Latest
	}
	if len(e.Available) == 0 {
		return fmt.Sprintf("no version matches %q: no versions published; check the repository name, or publish one with \"mpak bundle push\"", query)
	}
	listed := e.Available
	more := ""
	if len(listed) > maxListed {
		more = fmt.Sprintf(", … (%d more)", len(listed)-maxListed)
		listed = listed[:maxListed]
	}
	return fmt.Sprintf("no version matches %q (available: %s%s): %s", query, strings.Join(listed, ", "), more, e.hint(query))
}

// hint tells the user what to ask for instead. Prereleases are the usual
// surprise: "latest" and ranges skip them unless asked for, as in npm.
func (e *NoMatchError) hint(query string) string {
	// The available entries are quoted as published so the suggestion can be
	// pasted back verbatim ("v2.0.0-rc.1" stays "v2.0.0-rc.1").
	var pre string
	var preVersion *semver.Version
	var stable bool
	for _, a := range e.Available {
		v, ok := parseSemver(a)
		if !ok {
			continue
		}
		if v.Prerelease() == "" {
			stable = true
		} else if preVersion == nil || v.GreaterThan(preVersion) {
			pre, preVersion = a, v
		}
	}
	if query == Latest {
		if pre != "" && !stable {
			return fmt.Sprintf("latest never selects a prerelease and only prereleases are published; ask for one exactly, e.g. %q", pre)
		}
		return "no semantic version is published; ask for one of the available tags by name"
	}
	if c, err := semver.NewConstraint(query); err == nil {
		c.IncludePrerelease = true
		for _, a := range e.Available {
			if v, ok := parseSemver(a); ok && v.Prerelease() != "" && c.Check(v) {
				return fmt.Sprintf("prerelease %s is in range, but ranges skip prereleases unless they name one; ask for %q exactly", a, a)
			}
		}
	}
	return "ask for one of the available versions, or a range that includes one"
}
