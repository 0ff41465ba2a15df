package web

import (
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// facet is one filter the search page offers with its count: a link to
// the same search with that filter applied.
type facet struct {
	Label string
	Count int
	Href  string
	// Current marks the value the search already filters by.
	Current bool
}

// facetGroup is one filter's values, named for the page.
type facetGroup struct {
	Name   string
	Facets []facet
}

// facetGroups turns the store's counts into links. Levels link to
// min_level, so each counts its level and those above it, which is what
// the link finds. A store that does not count facets gives none.
func facetGroups(f *catalog.Facets, q url.Values) []facetGroup {
	if f == nil {
		return nil
	}
	link := func(set map[string]string) string {
		v := url.Values{}
		for k, vs := range q {
			// Empty filters (an unsubmitted form's) are left out.
			if k != "page" && k != "partial" && strings.Join(vs, "") != "" {
				v[k] = vs
			}
		}
		for k, x := range set {
			if x == "" {
				v.Del(k)
			} else {
				v.Set(k, x)
			}
		}
		return "/search?" + v.Encode()
	}
	var groups []facetGroup

	types := facetGroup{Name: "Type"}
	for _, t := range slices.Sorted(maps.Keys(f.Types)) {
		types.Facets = append(types.Facets, facet{Label: t, Count: f.Types[t], Href: link(map[string]string{"type": t}), Current: q.Get("type") == t})
	}
	groups = append(groups, types)

	platforms := facetGroup{Name: "Platform"}
	for _, p := range slices.Sorted(maps.Keys(f.Platforms)) {
		// "any" runs everywhere: it is what an OS filter also finds, so
		// it has no filter of its own.
		if p == "any" {
			platforms.Facets = append(platforms.Facets, facet{Label: p, Count: f.Platforms[p]})
			continue
		}
		os, arch, _ := strings.Cut(p, "/")
		set := map[string]string{"os": os, "arch": ""}
		if arch != "" && arch != "any" {
			set["arch"] = arch
		}
		platforms.Facets = append(platforms.Facets, facet{Label: p, Count: f.Platforms[p], Href: link(set),
			Current: q.Get("os") == os && q.Get("arch") == set["arch"]})
	}
	groups = append(groups, platforms)

	levels := facetGroup{Name: "Level"}
	atLeast := 0
	for l := 4; l >= 1; l-- {
		atLeast += f.Levels[l]
		if atLeast == 0 {
			continue
		}
		n := strconv.Itoa(l)
		levels.Facets = append([]facet{{Label: "L" + n + " or higher", Count: atLeast, Href: link(map[string]string{"min_level": n}),
			Current: q.Get("min_level") == n}}, levels.Facets...)
	}
	groups = append(groups, levels)

	signed := facetGroup{Name: "Signature"}
	if f.Signed > 0 {
		signed.Facets = append(signed.Facets, facet{Label: "signed", Count: f.Signed, Href: link(map[string]string{"signed": "on"}), Current: q.Get("signed") == "on"})
	}
	if f.Unsigned > 0 {
		signed.Facets = append(signed.Facets, facet{Label: "unsigned", Count: f.Unsigned})
	}
	groups = append(groups, signed)

	out := groups[:0]
	for _, g := range groups {
		if len(g.Facets) > 0 {
			out = append(out, g)
		}
	}
	return out
}
