package web

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"net/http"
)

// script is a static file the pages load: its URL carries its digest, so
// it can be cached for a year and a new build is fetched at once, and its
// SRI hash lets the browser refuse other bytes.
type script struct {
	URL       string
	Integrity string
	// path and version are what cacheStatic compares a request with.
	path, version string
}

// newScript names the static file at path (under static/).
func newScript(files fs.FS, path string) script {
	b, err := fs.ReadFile(files, path)
	if err != nil {
		panic("web: embedded script " + path + " is missing: " + err.Error())
	}
	sum := sha256.Sum256(b)
	v := hex.EncodeToString(sum[:8])
	return script{URL: "/static/" + path + "?v=" + v, Integrity: "sha256-" + base64.StdEncoding.EncodeToString(sum[:]),
		path: path, version: v}
}

// cacheStatic caches a static file for an hour, or for a year when the
// URL names the digest the pages link to (a stale digest gets the hour:
// it may be a page from before an upgrade).
func cacheStatic(s script, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := r.URL.Query().Get("v"); r.URL.Path == s.path && v == s.version {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=3600")
		}
		next.ServeHTTP(w, r)
	})
}
