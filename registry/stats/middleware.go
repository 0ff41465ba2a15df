package stats

import (
	"net/http"
	"strings"

	"github.com/opencontainers/go-digest"
)

// Middleware counts the downloads served by next, the OCI distribution API
// under /v2/. It records a blob GET once its status is decided, before the
// status is sent, and passes the body through unbuffered. It also forgets
// cached layer attributions of a repository when a manifest of it is pushed
// or deleted; wrap the handler that indexes pushes, so that this happens
// after the new version is in the Store.
func (c *Counter) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			name, dgst, ok := splitPath(r.URL.Path, "/blobs/")
			if !ok || digest.Digest(dgst).Validate() != nil { // uploads/<id> is no digest
				break
			}
			sw := &statusWriter{ResponseWriter: w, observe: func(code int, h http.Header) {
				if isDownload(r, code, h) {
					c.Record(r.Context(), name, dgst)
				}
			}}
			next.ServeHTTP(sw, r)
			sw.finish()
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

// isDownload tells whether a blob GET answered code (with headers h) starts
// a download at byte 0.
func isDownload(r *http.Request, code int, h http.Header) bool {
	switch code {
	case http.StatusOK:
		// The whole blob, even when a Range was asked for and ignored.
		return true
	case http.StatusPartialContent:
		// One range; a multipart answer has no Content-Range and no client
		// downloads that way.
		return strings.HasPrefix(h.Get("Content-Range"), "bytes 0-")
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		// The blob store serves the bytes; what it will serve is what the
		// client asked for. (304 Not Modified is no redirect: the client
		// has the blob already.)
		return rangeFromStart(r.Header.Get("Range"))
	}
	return false
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
