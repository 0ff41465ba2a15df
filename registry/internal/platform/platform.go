// Package platform is how both stores filter bundles by platform: each
// bundle row lists its latest version's builds in one string, and a query
// becomes a few substrings of which one must occur. A substring test on
// the row is far cheaper than a builds lookup per bundle when most of the
// catalog matches, and is the same in SQLite (instr) and PostgreSQL
// (strpos).
package platform

import (
	"strings"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// Any is the platform of a build that runs everywhere, and the OS or
// architecture a build does not depend on.
const Any = "any"

// Split returns the OS and architecture a build platform serves: "any" is
// any/any and an OS alone is os/any.
func Split(p string) (os, arch string) {
	os, arch, ok := strings.Cut(p, "/")
	if !ok || arch == "" {
		arch = Any
	}
	if os == "" {
		os = Any
	}
	return os, arch
}

// List is the platforms column for builds: each normalized (os/arch,
// os/any or any) and between spaces, as in " linux/amd64 any ".
func List(builds []catalog.Build) string {
	var b strings.Builder
	b.WriteByte(' ')
	for _, build := range builds {
		os, arch := Split(build.Platform)
		if os == Any && arch == Any {
			b.WriteString(Any)
		} else {
			b.WriteString(os + "/" + arch)
		}
		b.WriteByte(' ')
	}
	return b.String()
}

// Substrings are what List must contain, one of them, for a bundle to
// serve os/arch: the exact platform, os/any or any. An empty os or arch
// matches any. os and arch must be single names (catalog.Query.Normalize
// checks), so no substring can span two platforms; with both empty there
// is nothing to filter and Substrings returns nil.
func Substrings(os, arch string) []string {
	switch {
	case os != "" && arch != "":
		return []string{" " + os + "/" + arch + " ", " " + os + "/any ", " any "}
	case os != "":
		return []string{" " + os + "/", " any "}
	case arch != "":
		return []string{"/" + arch + " ", "/any ", " any "}
	}
	return nil
}
