package resolve

import (
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// parseSemver reads s as a strict SemVer 2.0.0 version, allowing the "v"
// prefix many projects tag with. Partial versions such as "1" or "1.2" are
// deliberately not versions here: registries commonly carry them as rolling
// aliases of the newest 1.x or 1.2.x, and letting them compete as 1.0.0 or
// 1.2.0 would make "latest" and ranges pick an alias instead of a release.
func parseSemver(s string) (*semver.Version, bool) {
	v, err := semver.StrictNewVersion(strings.TrimPrefix(s, "v"))
	if err != nil {
		return nil, false
	}
	return v, true
}

// semverTag is a version tag together with the version it spells.
type semverTag struct {
	tag     string
	version *semver.Version
}

// classify splits the visible version tags into semver tags, highest first,
// and the remaining tags in alphabetical order. Duplicates are dropped so a
// tag list assembled from several pages cannot produce repeated entries.
func classify(tags []string) (semvers []semverTag, others []string) {
	seen := make(map[string]bool, len(tags))
	for _, tag := range tags {
		if seen[tag] || !IsVersionTag(tag) {
			continue
		}
		seen[tag] = true
		if v, ok := parseSemver(VersionOf(tag)); ok {
			semvers = append(semvers, semverTag{tag: tag, version: v})
		} else {
			others = append(others, tag)
		}
	}
	slices.SortFunc(semvers, func(a, b semverTag) int {
		if c := b.version.Compare(a.version); c != 0 {
			return c
		}
		// Equal precedence ("1.2.0", "v1.2.0", "1.2.0_b"): ascending tag
		// order puts the plain spelling first and keeps the result stable.
		return strings.Compare(a.tag, b.tag)
	})
	slices.Sort(others)
	return semvers, others
}

// Versions returns the tags that name versions, in the order users expect to
// read them: semver tags from highest to lowest precedence (not push order),
// then all other version tags alphabetically. Signature, attestation and
// referrer fallback tags are left out.
func Versions(tags []string) []string {
	semvers, others := classify(tags)
	out := make([]string, 0, len(semvers)+len(others))
	for _, s := range semvers {
		out = append(out, s.tag)
	}
	return append(out, others...)
}
