package stats

import (
	"context"
	"net/http"
	"strings"

	"github.com/opencontainers/go-digest"
)

// Middleware counts the downloads served by next, the OCI distribution API
// under /v2/. It decides when a blob GET's response has ended, from what
// the response sent, and passes the body through unbuffered. It also
// forgets cached layer attributions of a repository when a manifest of it
// is pushed or deleted; wrap the handler that indexes pushes, so that this
// happens after the new version is in the Store.
func (c *Counter) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			name, dgst, ok := splitPath(r.URL.Path, "/blobs/")
			if !ok || digest.Digest(dgst).Validate() != nil { // uploads/<id> is no digest
				break
			}
			var resp response
			sw := &statusWriter{ResponseWriter: w, observe: func(code int, h http.Header) {
				// Read now: what the handler changes after the status
				// is not what the client got.
				resp = response{code, h.Get("Content-Length"), h.Get("Content-Range")}
			}}
			next.ServeHTTP(sw, r)
			sw.finish()
			c.served(r, name, dgst, resp, sw.written)
			return
		case http.MethodPut, http.MethodDelete:
			name, _, ok := splitPath(r.URL.Path, "/manifests/")
			if !ok {
				break
			}
			var status int
			next.ServeHTTP(&statusWriter{ResponseWriter: w, observe: func(code int, _ http.Header) { status = code }}, r)
			if status >= 200 && status < 300 {
				c.Invalidate(name)
			}
			return
		}
		next.ServeHTTP(w, r)
	})
}

// served counts a blob GET of repository's dgst, once its response (resp,
// then written body bytes) has ended, if it completed a download.
func (c *Counter) served(r *http.Request, repository, dgst string, resp response, written int64) {
	// The client may be gone by now, having read the whole body; its
	// download still counts, and the layer lookup has its own timeout.
	ctx := context.WithoutCancel(r.Context())
	switch resp.code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		// The blob store serves the bytes, out of sight: what it will
		// serve is what the client asked for. (304 Not Modified is no
		// redirect: the client has the blob already.)
		if rangeFromStart(r.Header.Get("Range")) {
			c.record(ctx, clientOf(r, c.trustedProxies), repository, dgst)
		}
		return
	}
	s, ok := resp.sent(written)
	if !ok {
		return
	}
	k := transferKey{clientOf(r, c.trustedProxies), repository, dgst}
	if s.whole() {
		// Complete on its own; what the client had of it before no
		// longer makes a download.
		c.ranges.forget(k)
	} else if !c.ranges.add(k, s) {
		return
	}
	c.record(ctx, k.client, repository, dgst)
}

// splitPath splits /v2/<name><sep><rest>. The last sep counts: a repository
// may itself have "blobs" or "manifests" as a path component.
func splitPath(p, sep string) (name, rest string, ok bool) {
	p, ok = strings.CutPrefix(p, "/v2/")
	if !ok {
		return "", "", false
	}
	i := strings.LastIndex(p, sep)
	if i <= 0 || i+len(sep) == len(p) {
		return "", "", false
	}
	return p[:i], p[i+len(sep):], true
}

// rangeFromStart tells whether a Range header (possibly absent) asks for
// bytes from 0.
func rangeFromStart(v string) bool {
	if v == "" {
		return true
	}
	unit, spec, ok := strings.Cut(strings.TrimSpace(v), "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(unit), "bytes") {
		return true // not a byte range: servers ignore it and send everything
	}
	return strings.HasPrefix(strings.TrimSpace(spec), "0-")
}
