package catalog

import (
	"fmt"
	"strings"
)

// Page sizes of Search and List.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// Normalize returns q with the defaults the stores apply: an empty Sort is
// SortRelevance, a Limit outside 1..MaxLimit is DefaultLimit or MaxLimit, a
// negative Offset is 0, OS and Arch are lowercase. It fails on a Sort no
// store knows and on an OS or Arch that is not a GOOS/GOARCH-like name
// ("linux/amd64" as an OS, say), so a mistake in an API parameter is an
// error rather than a silently different result.
func (q Query) Normalize() (Query, error) {
	switch q.Sort {
	case "":
		q.Sort = SortRelevance
	case SortRelevance, SortDownloads, SortRecent, SortName:
	default:
		return q, fmt.Errorf("unknown sort %q: want %s, %s, %s or %s", q.Sort, SortRelevance, SortDownloads, SortRecent, SortName)
	}
	switch {
	case q.Limit <= 0:
		q.Limit = DefaultLimit
	case q.Limit > MaxLimit:
		q.Limit = MaxLimit
	}
	q.Offset = max(q.Offset, 0)
	q.OS, q.Arch = strings.ToLower(q.OS), strings.ToLower(q.Arch)
	for _, p := range [...]struct{ name, value, example string }{{"os", q.OS, "linux"}, {"arch", q.Arch, "amd64"}} {
		if strings.ContainsFunc(p.value, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-')
		}) {
			return q, fmt.Errorf("%s %q: want one GOOS/GOARCH name such as %s", p.name, p.value, p.example)
		}
	}
	return q, nil
}

// ListLimit is List's page size for a requested limit: DefaultLimit when
// none is asked for. List pages are not capped at MaxLimit, as reindexing
// and mirroring read the whole catalog through them.
func ListLimit(limit int) int {
	if limit <= 0 {
		return DefaultLimit
	}
	return limit
}

// Cursor is the List cursor naming v: "repository@version".
func Cursor(v *Version) string { return v.Repository + "@" + v.Version }

// ParseCursor splits a List cursor into a repository and the sort key of
// its version. The version need not exist any more: paging resumes after
// where it would be, so deleting versions between pages skips nothing.
func ParseCursor(after string) (repository, version, key string, err error) {
	// OCI repository names cannot contain "@" and semver cannot either, so
	// the last "@" is the separator.
	i := strings.LastIndexByte(after, '@')
	if i <= 0 || i == len(after)-1 {
		return "", "", "", fmt.Errorf("cursor %q: want repository@version, as in the last item of the previous page", after)
	}
	repository, version = after[:i], after[i+1:]
	key, err = SortKey(version)
	if err != nil {
		return "", "", "", fmt.Errorf("cursor %q: %w", after, err)
	}
	return repository, version, key, nil
}
