package proxy

import (
	"net/http"
	"net/url"
	"testing"
)

func TestRewriteResponse(t *testing.T) {
	up, _ := url.Parse("https://registry.example")
	for _, tc := range []struct{ header, in, want string }{
		{"Location", "https://registry.example/v2/a/blobs/uploads/u1?_state=x", "/v2/a/blobs/uploads/u1?_state=x"},
		{"Location", "https://registry.example:443/v2/a/blobs/uploads/u1", "/v2/a/blobs/uploads/u1"},
		{"Location", "HTTPS://Registry.Example/v2/a/blobs/uploads/u1", "/v2/a/blobs/uploads/u1"},
		// Already relative, or another host (a blob store redirect), or
		// the same host on another scheme or port: untouched.
		{"Location", "/v2/a/blobs/uploads/u1", "/v2/a/blobs/uploads/u1"},
		{"Location", "https://blobs.example/sha256/ab?sig=1", "https://blobs.example/sha256/ab?sig=1"},
		{"Location", "http://registry.example/v2/a", "http://registry.example/v2/a"},
		{"Location", "https://registry.example:5000/v2/a", "https://registry.example:5000/v2/a"},
		{"Link", `<https://registry.example/v2/a/tags/list?last=b&n=2>; rel="next"`, `</v2/a/tags/list?last=b&n=2>; rel="next"`},
		{"Link", `</v2/a/tags/list?last=b&n=2>; rel="next"`, `</v2/a/tags/list?last=b&n=2>; rel="next"`},
		{"Link", `<https://elsewhere.example/x>; rel="next"`, `<https://elsewhere.example/x>; rel="next"`},
	} {
		resp := &http.Response{Header: http.Header{tc.header: {tc.in}}}
		rewriteResponse(resp, up)
		if got := resp.Header.Get(tc.header); got != tc.want {
			t.Errorf("%s %q rewritten to %q, want %q", tc.header, tc.in, got, tc.want)
		}
	}
}

func TestNewRejectsUnusableUpstreams(t *testing.T) {
	for _, raw := range []string{"registry.example", "ftp://registry.example", "https://u:p@registry.example",
		"https://registry.example/prefix", "https://registry.example/?x=1", "https://"} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := New(u, Options{}); err == nil {
			t.Errorf("New(%q) succeeded, want an error", raw)
		}
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Error("New(nil) succeeded, want an error")
	}
}
