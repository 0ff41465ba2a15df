package api

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// MCP Registry API paging, as the official registry has it.
const defaultServerLimit = 30

// listServers is GET /v0.1/servers?search=&cursor=&limit=&updated_since=&version=.
// Servers are ordered by repository and version; the cursor is opaque to
// clients (base64 of the store's "repository@version" of the last item).
func (a *api) listServers(w http.ResponseWriter, r *http.Request) error {
	p := r.URL.Query()
	limit, err := intParam(p, "limit", defaultServerLimit, 1, maxLimit)
	if err != nil {
		return err
	}
	after := ""
	if c := p.Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err == nil {
			_, _, _, err = catalog.ParseCursor(string(b))
		}
		if err != nil {
			return badRequest("cursor=%q is not a cursor this server issued: pass metadata.nextCursor of the previous page unchanged", c)
		}
		after = string(b)
	}
	var since time.Time
	if s := p.Get("updated_since"); s != "" {
		if since, err = time.Parse(time.RFC3339, s); err != nil {
			return badRequest("updated_since=%q: use an RFC 3339 time such as 2025-01-02T15:04:05Z", s)
		}
	}
	version := p.Get("version")
	search := strings.ToLower(strings.TrimSpace(p.Get("search")))

	f := filter{ns: a.serverNS, search: search, version: version}
	if version == latestQuery {
		f.version = ""
	}
	vs, next, err := a.page(r.Context(), after, since, version == latestQuery, limit, f)
	if err != nil {
		return err
	}
	latest := latestVersions{a: a, latestOnly: version == latestQuery}
	out := serverList{Servers: make([]serverResponse, 0, len(vs))}
	for i := range vs {
		isLatest, err := latest.is(r.Context(), &vs[i])
		if err != nil {
			return err
		}
		out.Servers = append(out.Servers, a.serverOf(r, &vs[i], isLatest))
	}
	out.Metadata.Count = len(out.Servers)
	if next != "" {
		out.Metadata.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(next))
	}
	writeJSON(w, http.StatusOK, &out)
	return nil
}

// filter is what Store.List cannot select: a search over the server name
// and description, and an exact version.
type filter struct {
	ns      string // the server namespace names are derived in
	search  string // lowercase
	version string
}

func (f filter) none() bool { return f.search == "" && f.version == "" }

func (f filter) match(v *catalog.Version) bool {
	if f.version != "" && v.Version != f.version {
		return false
	}
	if f.search == "" {
		return true
	}
	return strings.Contains(strings.ToLower(serverName(f.ns, v)), f.search) ||
		strings.Contains(strings.ToLower(v.Description), f.search)
}

// page reads up to limit matching versions after the cursor, and the
// cursor of the next page, "" when nothing matches after these: reading
// one match ahead spares clients the empty last page.
func (a *api) page(ctx context.Context, after string, since time.Time, latestOnly bool, limit int, f filter) ([]catalog.Version, string, error) {
	batch := limit + 1
	if !f.none() {
		batch = max(batch, 4*maxLimit) // most rows may not match
	}
	var out []catalog.Version
	for {
		vs, err := a.store.List(ctx, after, since, latestOnly, batch)
		if err != nil {
			return nil, "", err
		}
		for i := range vs {
			if !f.match(&vs[i]) {
				continue
			}
			if len(out) == limit {
				return out, catalog.Cursor(&out[limit-1]), nil
			}
			out = append(out, vs[i])
		}
		if len(vs) < batch {
			return out, "", nil
		}
		after = catalog.Cursor(&vs[len(vs)-1])
	}
}

// latestVersions tells whether a listed version is its repository's
// latest, reading each repository's summary once per page.
type latestVersions struct {
	a          *api
	latestOnly bool
	cache      map[string]string
}

func (l *latestVersions) is(ctx context.Context, v *catalog.Version) (bool, error) {
	if l.latestOnly {
		return true, nil
	}
	if l.cache == nil {
		l.cache = map[string]string{}
	}
	latest, ok := l.cache[v.Repository]
	if !ok {
		b, err := l.a.store.Bundle(ctx, v.Repository)
		switch {
		case errors.Is(err, catalog.ErrNotFound):
			// Deleted since listed: it is nobody's latest.
		case err != nil:
			return false, err
		default:
			latest = b.Latest.Version
		}
		l.cache[v.Repository] = latest
	}
	return v.Version == latest, nil
}

// server dispatches /v0.1/servers/{name}/versions[/{version}]. The name
// contains a slash, sent encoded (io.github.acme%2Fweather) or not; the
// path arrives decoded, and a name has exactly one slash, so both read the
// same.
func (a *api) server(w http.ResponseWriter, r *http.Request) error {
	_, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/servers/")
	segs := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	if len(segs) < 3 || len(segs) > 4 || segs[2] != "versions" || segs[0] == "" || segs[1] == "" {
		return notFound("no API endpoint at %s: use /v0.1/servers/{name}/versions or /v0.1/servers/{name}/versions/{version}, with the name's '/' written as %%2F", r.URL.Path)
	}
	name := segs[0] + "/" + segs[1]
	named, all, err := a.servers.versions(r.Context(), name)
	if err != nil {
		return err
	}
	latest := latestOf(all).Version
	if len(segs) == 3 {
		out := serverList{Servers: make([]serverResponse, 0, len(named))}
		for i := range named {
			out.Servers = append(out.Servers, a.serverOf(r, &named[i], named[i].Version == latest))
		}
		out.Metadata.Count = len(out.Servers)
		writeJSON(w, http.StatusOK, &out)
		return nil
	}
	want := segs[3]
	if want == latestQuery {
		// The latest of the versions under this name: normally the
		// repository's latest, unless the name changed across versions.
		want = latestOf(named).Version
	}
	for i := range named {
		if named[i].Version == want {
			writeJSON(w, http.StatusOK, a.serverOf(r, &named[i], want == latest))
			return nil
		}
	}
	return notFound("server %q has no version %q: list them with /v0.1/servers/%s/versions", name, segs[3], strings.Replace(name, "/", "%2F", 1))
}

// versionInfo is GET /v0.1/version (buildInfo): the build serving the API, in the
// official registry's shape.
type versionInfo struct {
	Version   string `json:"version"`
	GitCommit string `json:"git_commit"`
	BuildTime string `json:"build_time"`
}

// buildVersion reads the binary's build information once. Go records no
// build time, so the time given is the commit's (vcs.time); "unknown"
// where the binary was built outside a checkout.
var buildVersion = sync.OnceValue(func() versionInfo {
	out := versionInfo{Version: "dev", GitCommit: "unknown", BuildTime: "unknown"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return out
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		out.Version = v
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			out.GitCommit = s.Value
		case "vcs.time":
			out.BuildTime = s.Value
		}
	}
	return out
})

func (a *api) buildInfo(w http.ResponseWriter, _ *http.Request) error {
	v := buildVersion()
	if a.serverVersion != "" {
		v.Version = a.serverVersion
	}
	writeJSON(w, http.StatusOK, &v)
	return nil
}

// health is GET /v0.1/health: {"status":"ok"} while the catalog can be
// read, as the official registry answers, else a 503 problem, so a load
// balancer takes a replica whose database is gone out of rotation.
func (a *api) health(w http.ResponseWriter, r *http.Request) error {
	if _, err := a.all.Generation(r.Context()); err != nil {
		a.log.Error("health check: reading the catalog failed", "err", err)
		return &apiError{http.StatusServiceUnavailable, codeUnavailable, "the catalog cannot be read; the mpakd log has the cause"}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}
