// Package weburl decides which addresses a bundle or its attestations
// claim may be shown as links: absolute http(s) URLs only, never
// javascript:, data: or relative ones.
package weburl

import (
	"net/url"
	"strings"
)

// Parse returns raw as a URL when it is an absolute http(s) URL, else nil.
func Parse(raw string) *url.URL {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil
	}
	return u
}

// String is raw as an absolute http(s) URL, else "".
func String(raw string) string {
	if plain(raw) {
		return raw
	}
	if u := Parse(raw); u != nil {
		return u.String()
	}
	return ""
}

// Host is the lower-cased host name of an absolute http(s) URL, without a
// leading www., else "".
func Host(raw string) string {
	if u := Parse(raw); u != nil {
		return strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
	}
	return ""
}

// Source is raw when it is an absolute http(s) URL, optionally written
// npm-style as git+https://, else "". It is for repository addresses,
// whose git+ prefix names the transport of a web address.
func Source(raw string) string {
	if plain(strings.TrimPrefix(raw, "git+")) {
		return raw
	}
	if Parse(strings.TrimPrefix(strings.TrimSpace(raw), "git+")) == nil {
		return ""
	}
	return raw
}

// Ref is raw when it is an absolute http(s) URL or a reference without a
// scheme (a path inside a bundle, such as icon.png), else "". Any control
// character refuses it: browsers drop tabs and newlines and strip leading
// controls before they read a scheme, so "java\tscript:" is javascript:.
func Ref(raw string) string {
	if strings.ContainsFunc(raw, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return ""
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme != "" && Parse(raw) == nil {
		return ""
	}
	return raw
}
