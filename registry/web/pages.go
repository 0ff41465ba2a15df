package web

import (
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/registry/catalog"
)

// hit is a search result as the pages show it.
type hit struct {
	Name, Description, Version, ServerType, Platforms string
	Downloads                                         int64
	Trust                                             trust
	Signed                                            bool
	// Yanked and Tampered mark the latest: yanked only when every version
	// is.
	Yanked, Tampered bool
}

func (u *ui) hits(res *catalog.Results) []hit {
	out := make([]hit, 0, len(res.Bundles))
	for _, b := range res.Bundles {
		v := b.Latest
		var ps []string
		for _, bd := range v.Builds {
			ps = append(ps, bd.Platform)
		}
		out = append(out, hit{Name: u.display(b.Repository), Description: v.Description, Version: v.Version,
			ServerType: v.ServerType, Platforms: strings.Join(ps, ", "), Downloads: b.Downloads, Trust: trustOf(&v), Signed: v.Signed,
			Yanked: v.Yanked, Tampered: v.Tampered != ""})
	}
	return out
}

func (u *ui) home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	rd := u.reader(w, r)
	popular, err := rd.store.Search(ctx, catalog.Query{Sort: catalog.SortDownloads, Limit: 8})
	if err != nil {
		u.fail(w, r, rd, err)
		return
	}
	recent, err := rd.store.Search(ctx, catalog.Query{Sort: catalog.SortRecent, Limit: 8})
	if err != nil {
		u.fail(w, r, rd, err)
		return
	}
	u.render(w, r, rd, http.StatusOK, "home", map[string]any{"Title": "MCP bundles", "Registry": u.registry(r), "Popular": u.hits(popular),
		"Recent": u.hits(recent), "Total": popular.Total})
}

var sorts = []string{"relevance", "downloads", "recent", "name"}

func (u *ui) search(w http.ResponseWriter, r *http.Request) {
	rd := u.reader(w, r)
	q := r.URL.Query()
	query := catalog.Query{Text: q.Get("q"), Type: q.Get("type"), OS: q.Get("os"), Arch: q.Get("arch"), Sort: catalog.Sort(q.Get("sort"))}
	if q.Get("signed") == "on" {
		signed := true
		query.Signed = &signed
	}
	query.MinLevel, _ = strconv.Atoi(q.Get("min_level"))
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	query.Limit, query.Offset = 20, (page-1)*20
	query.Facets = true
	res, err := rd.store.Search(r.Context(), query)
	if err != nil {
		u.render(w, r, rd, http.StatusBadRequest, "error", map[string]any{"Title": "Bad search", "Message": err.Error()})
		return
	}
	oses, arches, err := u.platforms(r.Context(), rd.readable)
	if err != nil {
		u.fail(w, r, rd, err)
		return
	}
	next := ""
	if query.Offset+len(res.Bundles) < res.Total {
		v := url.Values{}
		for k, vs := range q {
			if k != "partial" {
				v[k] = vs
			}
		}
		v.Set("page", strconv.Itoa(page+1))
		next = "/search?" + v.Encode()
	}
	u.render(w, r, rd, http.StatusOK, "search", map[string]any{"Title": "Search: " + query.Text, "Q": query.Text, "Type": query.Type,
		"OS": query.OS, "Arch": query.Arch,
		"OSes": choices(oses, query.OS), "Arches": choices(arches, query.Arch), "Sort": string(query.Sort), "MinLevel": query.MinLevel, "Signed": query.Signed != nil,
		"Sorts": sorts, "Hits": u.hits(res), "Total": res.Total, "Page": page, "Next": next,
		"Facets": facetGroups(res.Facets, q), "Script": u.searchJS,
		// partial=1 is search.js asking for the results region alone.
		"Partial": q.Get("partial") == "1"})
}

func (u *ui) bundle(w http.ResponseWriter, r *http.Request) {
	path := r.PathValue("path")
	if name, ok := strings.CutSuffix(path, "/badge.svg"); ok {
		// The API draws badges (shields-style SVG with cache headers).
		target := "/v1/bundles/" + name + "/badge.svg"
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusFound)
		return
	}
	name, version, _ := strings.Cut(path, "/v/")
	repository := u.repository(name)
	ctx := r.Context()
	rd := u.reader(w, r)
	vs, err := rd.store.Versions(ctx, repository)
	if errors.Is(err, catalog.ErrNotFound) || err == nil && len(vs) == 0 {
		u.notFound(w, r, rd, name)
		return
	}
	if err != nil {
		u.fail(w, r, rd, err)
		return
	}
	// The bundle's latest is the store's, which skips yanked versions
	// unless every version is yanked: the page without a version shows it,
	// and a yanked version's page points to it.
	latest, latestVersion := &vs[0], vs[0].Version
	b, err := rd.store.Bundle(ctx, repository)
	switch {
	case err == nil:
		latestVersion = b.Latest.Version
	case !errors.Is(err, catalog.ErrNotFound):
		u.fail(w, r, rd, err)
		return
	}
	v := latest
	for i := range vs {
		if vs[i].Version == latestVersion {
			latest = &vs[i]
		}
		if vs[i].Version == version {
			v = &vs[i]
		}
	}
	switch {
	case version == "":
		v = latest
	case v.Version != version:
		u.notFound(w, r, rd, name+"@"+version)
		return
	}
	stats, err := rd.store.Stats(ctx, repository)
	if err != nil && !errors.Is(err, catalog.ErrNotFound) {
		u.fail(w, r, rd, err)
		return
	}
	if stats == nil {
		stats = &catalog.Stats{}
	}
	display := u.display(repository)
	readme := v.LongDescription
	if readme == "" {
		readme = v.Description
	}
	// Snippets name the version by its tag, unless the tag was moved
	// behind mpakd's back: mpakd refuses it then, and it names other
	// bytes, so they pin the digest that was published.
	pin := v.Version
	if v.Tampered != "" {
		pin = v.Digest
	}
	// Snippets are copied to other machines, whose mpak maps @scope/name
	// to its own default registry (localhost:5000 when none is set): they
	// name this registry's host.
	repoRef := u.host(r) + "/" + repository
	qualified := repoRef + "@" + pin
	u.render(w, r, rd, http.StatusOK, "bundle", map[string]any{
		"Title": display, "Name": display, "V": v, "Versions": vs, "Stats": stats, "Config": userConfig(v),
		"Latest":   latest,
		"Readme":   renderMarkdown(readme),
		"Trust":    trustOf(v),
		"Snippets": snippets(serverKey(repository), qualified, repoRef+"@"+v.Digest),
		"RepoRef":  repoRef,
		"Chart":    downloadsChart(stats.Daily, stats.Total, time.Now()),
		"Scan":     scanControls(v.ScanReport),
		"Prov":     provenanceOf(v.Provenance, qualified),
		"Updated":  v.PublishedAt,
	})
}

// notFound helps: it searches for what the URL named, among the bundles
// the reader may see, so a hidden bundle is not found the same way.
func (u *ui) notFound(w http.ResponseWriter, r *http.Request, rd reader, name string) {
	// The whole name first, then its last word, then ever shorter
	// prefixes of it (a typo is usually past the first letters): the first
	// that finds something is the suggestion.
	words := strings.Fields(strings.NewReplacer("@", " ", "/", " ", "-", " ", "_", " ").Replace(name))
	tries := []string{strings.Join(words, " ")}
	if len(words) > 0 {
		last := words[len(words)-1]
		for n := len(last); n >= 2; n-- {
			tries = append(tries, last[:n])
		}
	}
	var similar []hit
	for _, q := range tries {
		if res, err := rd.store.Search(r.Context(), catalog.Query{Text: q, Limit: 5}); err == nil && len(res.Bundles) > 0 {
			similar = u.hits(res)
			break
		}
	}
	u.render(w, r, rd, http.StatusNotFound, "error", map[string]any{"Title": "Not found",
		"Message": "There is no bundle " + name + ".", "Similar": similar})
}

func (u *ui) fail(w http.ResponseWriter, r *http.Request, rd reader, err error) {
	u.log.Error("web page failed", "err", err)
	u.render(w, r, rd, http.StatusInternalServerError, "error", map[string]any{"Title": "Error", "Message": "The catalog could not be read; try again."})
}

// option is a user_config option as the bundle page lists it.
type option struct {
	Key, Title, Description, Type string
	Required, Sensitive           bool
}

// userConfig reads the options from the stored manifest.json, in key
// order; without one, the indexed keys alone.
func userConfig(v *catalog.Version) []option {
	m, _, err := mcpb.ParseManifest(v.Manifest, mcpb.ParseOptions{})
	if err != nil || m == nil {
		out := make([]option, 0, len(v.UserConfigKeys))
		for _, k := range v.UserConfigKeys {
			out = append(out, option{Key: k})
		}
		return out
	}
	keys := make([]string, 0, len(m.UserConfig))
	for k := range m.UserConfig {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]option, 0, len(keys))
	for _, k := range keys {
		o := m.UserConfig[k]
		out = append(out, option{Key: k, Title: o.Title, Description: o.Description, Type: o.Type, Required: o.Required, Sensitive: o.Sensitive})
	}
	return out
}

// trust is what a page says of a version's certification level.
type trust struct {
	// Level is set only for a level from a scan signed by a scanner this
	// registry trusts: only that level counts, so only it reads as one.
	Level string
	// Claimed is the level unverified scan reports claim (0: none).
	Claimed int
	// Scanned is false when no scan report is attached: the page says
	// "not scanned" rather than a level 0 that reads like a failed grade.
	Scanned bool
}

func trustOf(v *catalog.Version) trust {
	if v.LevelVerified {
		return trust{Level: "L" + strconv.Itoa(v.Level), Scanned: true}
	}
	// An unverified level is a claim, whichever field carries it.
	return trust{Claimed: max(v.ClaimedLevel, v.Level), Scanned: len(v.ScanReport) > 0 || v.ClaimedLevel > 0}
}
