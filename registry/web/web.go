// Package web is mpakd's server-rendered web UI: a home page, search and
// bundle pages over the catalog, on the same port as the APIs. It uses
// html/template with embedded templates and styles, works without JavaScript and
// loads nothing from elsewhere. The search page loads one small script of
// its own (static/search.js) to search as you type; without it the forms
// submit as before. READMEs are rendered with goldmark (GFM) and
// sanitised with bluemonday, so a bundle's text cannot run script.
package web

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/mpak-oci/mpak/registry/api"
	"github.com/mpak-oci/mpak/registry/catalog"
)

//go:embed templates/*.html
var templates embed.FS

//go:embed static
var static embed.FS

// Options configures the UI.
type Options struct {
	Store catalog.Store
	// Namespace is where @scope/name repositories live (as for the API).
	Namespace string
	// PublicHost is the registry host printed in snippets (default: the
	// request's Host).
	PublicHost string
	Logger     *slog.Logger
	// Readable says, for a request, which repositories its client may
	// read (as auth.Authorizer.Readable does); the pages show only those,
	// and answer for the others as for a bundle that does not exist.
	// nil: all.
	Readable func(r *http.Request) func(repository string) bool
	// SignIn offers a "Sign in" link and serves /login, which asks the
	// browser for Basic credentials until Authenticated accepts them.
	// The browser then sends them with every page, which Readable sees.
	SignIn bool
	// Authenticated is the user a request's credentials (Basic or
	// Bearer) authenticate, false without valid ones; the pages say who
	// is signed in.
	Authenticated func(r *http.Request) (user string, ok bool)
}

type ui struct {
	opts          Options
	pages         map[string]*template.Template
	log           *slog.Logger
	platformCache platformCache
	// searchJS is the search page's script.
	searchJS script
}

// New returns the UI handler: GET /, /search, /@scope/name[/v/version]
// and /static/.
func New(opts Options) http.Handler {
	u := &ui{opts: opts, pages: map[string]*template.Template{}, log: opts.Logger}
	if u.log == nil {
		u.log = slog.Default()
	}
	for _, page := range []string{"home", "search", "bundle", "error"} {
		u.pages[page] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templates, "templates/layout.html", "templates/"+page+".html"))
	}
	sub, _ := fs.Sub(static, "static")
	u.searchJS = newScript(sub, "search.js")
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(u.searchJS, http.FileServerFS(sub))))
	mux.HandleFunc("GET /{$}", u.home)
	mux.HandleFunc("GET /search", u.search)
	if opts.SignIn {
		mux.HandleFunc("GET /login", u.login)
	}
	mux.HandleFunc("GET /{path...}", u.bundle)
	return mux
}

func (u *ui) host(r *http.Request) string {
	if u.opts.PublicHost != "" {
		return u.opts.PublicHost
	}
	return r.Host
}

// registry is what MPAK_REGISTRY is set to for @scope/name to name this
// registry's bundles: host[/namespace].
func (u *ui) registry(r *http.Request) string {
	if u.opts.Namespace == "" {
		return u.host(r)
	}
	return u.host(r) + "/" + u.opts.Namespace
}

// display is "@scope/name" for a repository that maps to one (as the API
// names them), else its path.
func (u *ui) display(repository string) string {
	rest := repository
	if u.opts.Namespace != "" {
		var ok bool
		if rest, ok = strings.CutPrefix(repository, u.opts.Namespace+"/"); !ok {
			return repository
		}
	}
	if strings.Count(rest, "/") != 1 {
		return repository
	}
	return "@" + rest
}

// repository is the repository a page path names: "@scope/name" under the
// namespace, or a plain repository path.
func (u *ui) repository(name string) string {
	if scoped, ok := strings.CutPrefix(name, "@"); ok && u.opts.Namespace != "" {
		return u.opts.Namespace + "/" + scoped
	}
	return strings.TrimPrefix(name, "@")
}

// reader is whom a page is for: the catalog they may read, and the user
// their credentials name ("" when they have none, or wrong ones).
type reader struct {
	store catalog.Store
	// readable is the read rule the store is filtered by (nil: all).
	readable func(repository string) bool
	user     string
}

// reader reads r's credentials, once per request.
func (u *ui) reader(w http.ResponseWriter, r *http.Request) reader {
	rd := reader{store: u.opts.Store}
	if u.opts.Readable == nil && !u.opts.SignIn {
		return rd
	}
	// The page depends on who asks: no shared cache may keep it for
	// someone else.
	w.Header().Set("Cache-Control", "private")
	w.Header().Add("Vary", "Authorization")
	r = api.Credentialed(r)
	if u.opts.Readable != nil {
		rd.readable = u.opts.Readable(r)
		rd.store = api.Visible(u.opts.Store, rd.readable)
	}
	if u.opts.Authenticated != nil && r.Header.Get("Authorization") != "" {
		rd.user, _ = u.opts.Authenticated(r)
	}
	return rd
}

// session is what the layout's header says about the reader.
type session struct {
	SignIn bool
	User   string
	// Login signs in and comes back to this page.
	Login string
}

func (u *ui) render(w http.ResponseWriter, r *http.Request, rd reader, status int, page string, data map[string]any) {
	login := "/login?next=" + url.QueryEscape(r.URL.RequestURI())
	if r.URL.Path == "/login" {
		login = r.URL.RequestURI()
	}
	data["Session"] = session{SignIn: u.opts.SignIn, User: rd.user, Login: login}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// Script only from our own files (search.js, whose SRI hash the page
	// names): nothing inline, no eval, so a README still cannot run any.
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	tmpl := "layout.html"
	if data["Partial"] == true {
		tmpl = "partial"
	}
	if err := u.pages[page].ExecuteTemplate(w, tmpl, data); err != nil {
		u.log.Error("rendering a page failed", "page", page, "err", err)
	}
}
