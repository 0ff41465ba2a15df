package proxy

import (
	"net/http"
	"net/url"
	"strings"
)

// rewriteResponse points URLs that name the upstream back at the proxy, so
// that a client following them (an upload's next PATCH or PUT, the next
// page of tags) stays on the proxy and keeps being served and counted.
// They become relative references, resolved by clients against the URL they
// requested: the proxy need not know the scheme and host it is reached by
// (a TLS terminator may sit in front). URLs on other hosts, such as a
// redirect to a blob store, are left alone.
func rewriteResponse(resp *http.Response, upstream *url.URL) {
	if loc := resp.Header.Get("Location"); loc != "" {
		if rel, ok := relative(loc, upstream); ok {
			resp.Header.Set("Location", rel)
		}
	}
	// Link: <https://upstream/v2/x/tags/list?last=a&n=10>; rel="next"
	if links := resp.Header.Values("Link"); len(links) > 0 {
		out := make([]string, len(links))
		for i, l := range links {
			out[i] = rewriteLink(l, upstream)
		}
		resp.Header["Link"] = out
	}
}

// relative returns the path and query of ref when it is an absolute URL on
// the upstream.
func relative(ref string, upstream *url.URL) (string, bool) {
	u, err := url.Parse(ref)
	if err != nil || !u.IsAbs() || !sameOrigin(u, upstream) {
		return "", false
	}
	rel := &url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery, Fragment: u.Fragment}
	if rel.Path == "" {
		rel.Path = "/"
	}
	return rel.String(), true
}

// rewriteLink rewrites each <URI-reference> of a Link header value.
func rewriteLink(v string, upstream *url.URL) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(v, '<')
		if open < 0 {
			break
		}
		end := strings.IndexByte(v[open:], '>')
		if end < 0 {
			break
		}
		end += open
		b.WriteString(v[:open+1])
		ref := v[open+1 : end]
		if rel, ok := relative(ref, upstream); ok {
			ref = rel
		}
		b.WriteString(ref)
		b.WriteByte('>')
		v = v[end+1:]
	}
	b.WriteString(v)
	return b.String()
}

// sameOrigin compares scheme and host, with default ports made explicit:
// registries write https://r.example or https://r.example:443 alike.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(hostPort(a), hostPort(b))
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return u.Hostname() + ":443"
	case "http":
		return u.Hostname() + ":80"
	}
	return u.Host
}
