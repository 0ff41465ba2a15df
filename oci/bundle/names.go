package bundle

import (
	"fmt"
	"strings"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/resolve"
)

// RepositoryName is the repository path component a bundle named name
// (manifest.json's name) is published under: lowercase, with every run of
// characters an OCI name does not allow turned into one '-'. An npm-style
// "@scope/name" keeps its scope as a component of its own.
func RepositoryName(name string) string {
	scope, base, scoped := strings.Cut(strings.TrimPrefix(name, "@"), "/")
	if scoped && strings.HasPrefix(name, "@") {
		return component(scope) + "/" + component(base)
	}
	return component(name)
}

func component(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.Trim(b.String(), "-._")
}

// MismatchError is a version whose manifest.json disagrees with where it
// is published: the catalog and every client key a version by its
// repository and tag, so a bundle that claims another name or version
// there would be listed, counted and run as something it is not.
type MismatchError struct {
	Repository, Tag string
	// Field is "name" or "version"; Declared is what manifest.json says,
	// Want what the repository or tag requires.
	Field, Declared, Want string
}

func (e *MismatchError) Error() string {
	if e.Field == "name" {
		return fmt.Sprintf("%s:%s: manifest.json names the bundle %q, but the repository's last component is %q (want %q): "+
			"push it to a repository ending in /%s, or fix the name in manifest.json",
			e.Repository, e.Tag, e.Declared, lastComponents(e.Repository, 1), e.Want, e.Want)
	}
	return fmt.Sprintf("%s:%s: manifest.json says version %q, but the tag is %q (want tag %q): "+
		"a version is published under the tag of its own version; push it as :%s, or fix the version in manifest.json",
		e.Repository, e.Tag, e.Declared, e.Tag, e.Want, e.Want)
}

// CheckPublication says whether a bundle that declares name and version
// may be published as repository:tag: the repository ends in
// RepositoryName(name) and the tag is the version's own (TagFor).
func CheckPublication(repository, tag, name, version string) error {
	want := RepositoryName(name)
	if want == "" || lastComponents(repository, strings.Count(want, "/")+1) != want {
		return &MismatchError{Repository: repository, Tag: tag, Field: "name", Declared: name, Want: want}
	}
	wantTag, err := resolve.TagFor(version)
	if err != nil {
		return fmt.Errorf("%s:%s: %w", repository, tag, err)
	}
	if tag != wantTag {
		return &MismatchError{Repository: repository, Tag: tag, Field: "version", Declared: version, Want: wantTag}
	}
	return nil
}

// lastComponents is the last n '/'-separated components of a path.
func lastComponents(path string, n int) string {
	parts := strings.Split(path, "/")
	if n > len(parts) {
		return path
	}
	return strings.Join(parts[len(parts)-n:], "/")
}

// FileName is the name mpak saves a build under:
// <name>-<version>[-<os>-<arch>].mcpb, from the bundle's manifest.json,
// each part reduced to characters safe in a file name on every OS. It never
// starts with a dot and never contains a path separator, so no bundle can
// name the file it is written to (a layer titled .bashrc, say).
func FileName(name, version string, p mediatypes.Platform) string {
	parts := []string{fileComponent(strings.ReplaceAll(RepositoryName(name), "/", "-"), "bundle"), fileComponent(version, "0")}
	if !p.IsAny() {
		parts = append(parts, fileComponent(p.OS, mediatypes.Any), fileComponent(p.Arch, mediatypes.Any))
	}
	return strings.Join(parts, "-") + ".mcpb"
}

// maxFileComponent keeps a derived name well inside every file system's
// 255-byte limit.
const maxFileComponent = 64

// fileComponent keeps letters, digits, '.', '_' and '-' of s (a version's
// '+' becomes '_'), trims dots and dashes from both ends, and falls back to
// def when nothing is left.
func fileComponent(s, def string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= maxFileComponent {
			break
		}
	}
	out := strings.Trim(b.String(), ".-_")
	if out == "" {
		return def
	}
	return out
}
