package proxy

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

func TestNeedOf(t *testing.T) {
	for _, tc := range []struct {
		method, target string
		action         string
		scopes         []string
	}{
		{"GET", "/v2/acme/weather/manifests/1.0.0", "pull", []string{"repository:acme/weather:pull"}},
		{"HEAD", "/v2/acme/weather/blobs/sha256:ab", "pull", []string{"repository:acme/weather:pull"}},
		{"GET", "/v2/acme/weather/referrers/sha256:ab", "pull", []string{"repository:acme/weather:pull"}},
		{"GET", "/v2/acme/weather/tags/list?n=10", "pull", []string{"repository:acme/weather:pull"}},
		{"GET", "/v2/acme/weather/blobs/uploads/u1", "push", []string{"repository:acme/weather:pull,push"}},
		{"DELETE", "/v2/acme/weather/blobs/uploads/u1", "delete", []string{"repository:acme/weather:delete"}},
		{"PUT", "/v2/acme/weather/manifests/1.0.0", "push", []string{"repository:acme/weather:pull,push"}},
		{"POST", "/v2/a/b/c/blobs/uploads/", "push", []string{"repository:a/b/c:pull,push"}},
		{"PATCH", "/v2/a/blobs/uploads/u1?_state=x", "push", []string{"repository:a:pull,push"}},
		// A mount reads its source: the token must name it too.
		{"POST", "/v2/a/blobs/uploads/?mount=sha256:ab&from=other/repo", "push", []string{"repository:a:pull,push", "repository:other/repo:pull"}},
		{"DELETE", "/v2/a/manifests/sha256:ab", "delete", []string{"repository:a:delete"}},
		{"GET", "/v2/_catalog?n=100", "", []string{"registry:catalog:*"}},
		{"GET", "/v2/", "", nil},
	} {
		n := needOf(httptest.NewRequest(tc.method, tc.target, nil))
		if n.action != tc.action || !slices.Equal(n.scopes, tc.scopes) {
			t.Errorf("%s %s: action %q scopes %q, want %q %q", tc.method, tc.target, n.action, n.scopes, tc.action, tc.scopes)
		}
	}
}

// TestOnceBody: a body can be sent again only while none of it was read.
func TestOnceBody(t *testing.T) {
	b := &onceBody{ReadCloser: http.NoBody}
	if again, err := b.again(); err != nil || again != b {
		t.Fatalf("an unread body: %v, %v; want itself", again, err)
	}
	b.Read(make([]byte, 1))
	if _, err := b.again(); err != errBodyStreamed {
		t.Fatalf("a body read from: %v, want errBodyStreamed", err)
	}
}
