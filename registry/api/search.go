package api

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

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
	// The engine hands over its own bundles; other stores answer with
	// copies.
	res, err := a.hits.SearchShared(r.Context(), q)
	if errors.Is(err, errors.ErrUnsupported) {
		var copies *catalog.Results
		if copies, err = a.hits.Search(r.Context(), q); err == nil {
			res = shared(copies)
		}
	}
	if err != nil {
		return err
	}
	return writePage(w, a.host(r), a.names, res, q)
}

// shared is res as SharedResults.
func shared(res *catalog.Results) *catalog.SharedResults {
	out := &catalog.SharedResults{Bundles: make([]*catalog.Bundle, len(res.Bundles)), Total: res.Total, Facets: res.Facets}
	for i := range res.Bundles {
		out.Bundles[i] = &res.Bundles[i]
	}
	return out
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
