// Package web is mpakd's server-rendered web UI: a home page, search and
// bundle pages over the catalog, on the same port as the APIs. It uses
// html/template with embedded templates and styles, needs no JavaScript and
// loads nothing from elsewhere. READMEs are rendered with goldmark (GFM) and
// sanitised with bluemonday, so a bundle's text cannot run script.
package web

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/mpak-oci/mpak/registry/index"
)

//go:embed templates/*.html
var templates embed.FS

//go:embed static
var static embed.FS

// Options configures the UI.
type Options struct {
	Store index.Store
	// Namespace is where @scope/name repositories live (as for the API).
	Namespace string
	// PublicHost is the registry host printed in snippets (default: the
	// request's Host).
	PublicHost string
	Logger     *slog.Logger
}

type ui struct {
	opts  Options
	pages map[string]*template.Template
	log   *slog.Logger
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
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(http.FileServerFS(sub))))
	mux.HandleFunc("GET /{$}", u.home)
	mux.HandleFunc("GET /search", u.search)
	mux.HandleFunc("GET /{path...}", u.bundle)
	return mux
}

func cacheFor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

func (u *ui) host(r *http.Request) string {
	if u.opts.PublicHost != "" {
		return u.opts.PublicHost
	}
	return r.Host
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

func (u *ui) render(w http.ResponseWriter, status int, page string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if err := u.pages[page].Execute(w, data); err != nil {
		u.log.Error("rendering a page failed", "page", page, "err", err)
	}
}
