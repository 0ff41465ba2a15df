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
