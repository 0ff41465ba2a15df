package weburl

import "strings"

// plain tells, without parsing, that raw is an absolute http(s) URL that
// url.Parse and String give back unchanged: a lowercase scheme, a host
// of letters, digits, dots and hyphens with an optional port, and a
// path, query and fragment of characters that are never escaped or
// reinterpreted. Almost every address a publisher writes is one, and the
// search API filters a page of them per request; anything else takes the
// parse.
func plain(raw string) bool {
	rest, ok := strings.CutPrefix(raw, "https://")
	if !ok {
		if rest, ok = strings.CutPrefix(raw, "http://"); !ok {
			return false
		}
	}
	i, port := 0, false
	for ; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c == '/' || c == '?' || c == '#':
		case c == ':' && !port:
			if i == 0 {
				return false
			}
			port = true
			continue
		case port && '0' <= c && c <= '9':
			continue
		case !port && (c == '.' || c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'):
			continue
		default:
			return false
		}
		break
	}
	if i == 0 || port && rest[i-1] == ':' {
		return false
	}
	fragment := false
	for _, c := range []byte(rest[i:]) {
		switch {
		case c == '#' && fragment: // escaped in a fragment
			return false
		case c == '#':
			fragment = true
		case !pathSafe[c]:
			return false
		}
	}
	return !strings.HasSuffix(raw, "#") // an empty fragment is dropped
}

// pathSafe are the bytes a path, query or fragment may hold for plain.
var pathSafe = func() (set [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		set[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		set[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		set[c] = true
	}
	for _, c := range []byte("-._~/?=&+") {
		set[c] = true
	}
	return set
}()
