package catalog

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// SortKey encodes a semantic version as a string whose byte order is the
// version's precedence, so SQL can sort and page versions with a plain
// index (no database compares semver). Versions differing only in build
// metadata share a key, as they share a precedence.
//
// The key is MAJOR.MINOR.PATCH zero-padded to 20 digits each (any uint64),
// then "~" for a release, or "-" and the prerelease identifiers for a
// prerelease: "-" sorts below "~", so 1.0.0-rc.1 < 1.0.0. A numeric
// identifier is "0" and the number zero-padded to 20 digits (so 10 > 9), an
// alphanumeric one is "1" and its text (numeric < alphanumeric, as SemVer
// 2.0.0 §11 wants), and identifiers are joined by ",", which sorts below
// every identifier character so "alpha" < "alpha.1" < "alpha-1". Like
// Masterminds/semver, which orders versions everywhere else in mpak, a
// number too big for a uint64 compares as text. Keys are ASCII and must be compared bytewise (SQLite's BINARY collation,
// PostgreSQL's "C").
func SortKey(version string) (string, error) {
	v, err := semver.StrictNewVersion(version)
	if err != nil {
		return "", fmt.Errorf("version %q is not a semantic version (want MAJOR.MINOR.PATCH such as 1.2.0, optionally with -prerelease or +build): %w", version, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%020d.%020d.%020d", v.Major(), v.Minor(), v.Patch())
	if v.Prerelease() == "" {
		b.WriteByte('~')
		return b.String(), nil
	}
	b.WriteByte('-')
	for i, id := range strings.Split(v.Prerelease(), ".") {
		if i > 0 {
			b.WriteByte(',')
		}
		if n, err := strconv.ParseUint(id, 10, 64); err == nil {
			fmt.Fprintf(&b, "0%020d", n)
			continue
		}
		b.WriteByte('1')
		b.WriteString(id)
	}
	return b.String(), nil
}

// IsPrerelease reports whether version is a semver prerelease. The stores
// derive Version.Prerelease from the version string with it, so "latest"
// cannot disagree with the version's own spelling.
func IsPrerelease(version string) bool {
	v, err := semver.StrictNewVersion(version)
	return err == nil && v.Prerelease() != ""
}
