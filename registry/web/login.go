package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/mpak-oci/mpak/registry/api"
)

// login is GET /login?next=: HTTP Basic sign-in, which needs no script
// and no session of our own. It challenges until the browser sends
// credentials that authenticate, then sends the browser on to next. The
// challenge is for a URL at the root, so the browser then sends the same
// credentials with every page of the site.
func (u *ui) login(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Add("Vary", "Authorization")
	var rd reader
	if c := api.Credentialed(r); u.opts.Authenticated != nil && c.Header.Get("Authorization") != "" {
		rd.user, _ = u.opts.Authenticated(c)
	}
	next := localPath(r.URL.Query().Get("next"))
	if rd.user != "" {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="mpakd"`)
	u.render(w, r, rd, http.StatusUnauthorized, "error", map[string]any{"Title": "Sign in",
		"Message": "Sign in with your registry username and password, as for mpak login or docker login, to see the bundles you may read."})
}

// localPath is next when it is a path on this site, else "/": a link
// crafted elsewhere must not turn signing in here into a trip to another
// site. Browsers read "//host", "/\host" and such paths with tabs or line
// breaks in them as another host, so those are refused too.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsFunc(next, func(r rune) bool { return r == '\\' || r < 0x20 || r == 0x7f }) {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	return next
}
