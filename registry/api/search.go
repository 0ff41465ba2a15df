package api

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/registry/catalog"
)

// Search paging bounds, as mpak's registry has them.
const (
	defaultSearchLimit = 20
	maxLimit           = 100
)

var (
	serverTypes = []string{mcpb.ServerNode, mcpb.ServerPython, mcpb.ServerBinary, mcpb.ServerUV}
	sorts       = []string{string(catalog.SortRelevance), string(catalog.SortDownloads), string(catalog.SortRecent), string(catalog.SortName)}
)

// search is GET /v1/bundles/search. Ranking is the store's; this only
// validates the query and shapes the page.
func (a *api) search(w http.ResponseWriter, r *http.Request) error {
	q, err := parseSearch(r.URL.Query())
	if err != nil {
		return err
	}
	res, err := a.store.Search(r.Context(), q)
	if err != nil {
		return err
	}
	host := a.host(r)
	out := searchResponse{SearchResponse: catalogapi.SearchResponse{
		Bundles: make([]catalogapi.Bundle, 0, len(res.Bundles)),
		Total:   res.Total,
		Pagination: catalogapi.Pagination{
			Limit:   q.Limit,
			Offset:  q.Offset,
			HasMore: q.Offset+len(res.Bundles) < res.Total,
		},
	}, Facets: res.Facets}
	for i := range res.Bundles {
		out.Bundles = append(out.Bundles, a.hit(host, &res.Bundles[i]))
	}
	if out.Facets != nil {
		writeJSON(w, http.StatusOK, &out)
		return nil
	}
	writeSearch(w, &out.SearchResponse)
	return nil
}

// searchResponse is a search page with its facets, when asked for
// (facets=true) and counted: the search engine counts them, under a read
// rule over the readable bundles only; the SQL stores do not count them.
type searchResponse struct {
	catalogapi.SearchResponse
	Facets *catalog.Facets `json:"facets,omitempty"`
}

func (a *api) hit(host string, b *catalog.Bundle) catalogapi.Bundle {
	v := &b.Latest
	tools := make([]string, 0, len(v.Tools))
	for _, t := range v.Tools {
		tools = append(tools, t.Name)
	}
	return catalogapi.Bundle{
		Name:          a.names.display(b.Repository),
		Repository:    b.Repository,
		Reference:     reference(host, v),
		DisplayName:   v.DisplayName,
		Description:   v.Description,
		Version:       v.Version,
		ServerType:    v.ServerType,
		Platforms:     platforms(v),
		Tools:         tools,
		Downloads:     b.Downloads,
		Signed:        v.Signed,
		Level:         v.Level,
		LevelVerified: v.LevelVerified,
		ClaimedLevel:  v.ClaimedLevel,
		PublishedAt:   v.PublishedAt,
		Yanked:        v.Yanked,
		YankReason:    v.YankReason,
		Tampered:      v.Tampered,
	}
}

// parseSearch reads the query string; an invalid parameter is refused
// rather than ignored, so a client never mistakes an unfiltered page for a
// filtered one.
func parseSearch(p url.Values) (catalog.Query, error) {
	q := catalog.Query{
		Text:  strings.TrimSpace(p.Get("q")),
		Sort:  catalog.SortRelevance,
		Limit: defaultSearchLimit,
	}
	if t := p.Get("type"); t != "" {
		if !slices.Contains(serverTypes, t) {
			return q, badRequest("type=%q is not a server type: use one of %s", t, strings.Join(serverTypes, ", "))
		}
		q.Type = t
	}
	os, arch := p.Get("os"), p.Get("arch")
	if arch != "" && os == "" {
		return q, badRequest("arch=%q needs os as well, e.g. os=linux&arch=%s", arch, arch)
	}
	if os != "" {
		// mpak and MCPB manifests also say win32, x64 and so on.
		q.OS, q.Arch = mediatypes.NormalizeOS(os), mediatypes.NormalizeArch(arch)
	}
	if s := p.Get("min_level"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 4 {
			return q, badRequest("min_level=%q: use a certification level from 0 to 4", s)
		}
		q.MinLevel = n
	}
	if s := p.Get("signed"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return q, badRequest("signed=%q: use true or false", s)
		}
		q.Signed = &b
	}
	if s := p.Get("facets"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return q, badRequest("facets=%q: use true or false", s)
		}
		q.Facets = b
	}
	if s := p.Get("sort"); s != "" {
		if !slices.Contains(sorts, s) {
			return q, badRequest("sort=%q: use one of %s", s, strings.Join(sorts, ", "))
		}
		q.Sort = catalog.Sort(s)
	}
	var err error
	if q.Limit, err = intParam(p, "limit", defaultSearchLimit, 1, maxLimit); err != nil {
		return q, err
	}
	if q.Offset, err = intParam(p, "offset", 0, 0, -1); err != nil {
		return q, err
	}
	return q, nil
}

// intParam reads an integer parameter within [lo, hi] (hi < 0: unbounded).
func intParam(p url.Values, name string, def, lo, hi int) (int, error) {
	s := p.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || hi >= 0 && n > hi {
		if hi < 0 {
			return 0, badRequest("%s=%q: use an integer of at least %d", name, s, lo)
		}
		return 0, badRequest("%s=%q: use an integer from %d to %d", name, s, lo, hi)
	}
	return n, nil
}
