package mcpb

import (
	"fmt"
	"strings"
)

// linkKind says which addresses a manifest field may hold.
type linkKind uint8

const (
	noLink linkKind = iota
	// linkURL fields (homepage, author.url, …) are web pages.
	linkURL
	// linkSource is repository.url, where npm's git+https:// is common and
	// still names a web address.
	linkSource
	// linkPath fields (icon, icons[].src, screenshots) are paths inside the
	// bundle, or web addresses.
	linkPath
)

// whatwgClean is what WHATWG URL parsing does to its input first: strip
// leading and trailing C0 controls and spaces, and remove every tab and
// newline.
func whatwgClean(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
}

// linkScheme is the scheme a browser reads from s, lower-cased, or "" for
// a reference without one (a relative path). WHATWG URL parsing strips
// leading and trailing C0 controls and spaces and removes every tab and
// newline before it looks for the scheme, so " JavaScript:", "java\tscript:"
// and "\x01javascript:" all run script; the check must read them the same
// way or it could be talked past.
func linkScheme(s string) string {
	s = whatwgClean(s)
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return ""
	}
	for j, c := range s[:i] {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (j == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return "" // not an RFC 3986 scheme, so the colon is part of a path
		}
	}
	return strings.ToLower(s[:i])
}

// checkLink returns a warning when s is an address registries will not
// publish and hosts should not open: anything but http(s) (javascript:,
// data:, file:, vbscript:, …). Such a link in a catalog page or an MCP
// client runs script or shows attacker-made content for whoever follows it.
func checkLink(kind linkKind, field, s string) string {
	scheme := linkScheme(s)
	switch {
	case scheme == "http" || scheme == "https":
		return ""
	case scheme == "" && kind == linkPath:
		return ""
	case scheme == "":
		return "" // checkURL reports a URL without a scheme
	case kind == linkSource && (scheme == "git+https" || scheme == "git+http"):
		return ""
	}
	fix := "use an https:// address"
	if kind == linkPath {
		fix = "use a path inside the bundle (such as icon.png) or an https:// address"
	}
	return fmt.Sprintf("%q is a %s: address, not http(s): registries leave it out and a browser following it could run script; %s, or remove %s",
		s, scheme, fix, field)
}
