package web_test

import (
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
)

// TestSearchFacets: the search page links each filter's values with their
// counts, server-rendered, so they work without JavaScript.
func TestSearchFacets(t *testing.T) {
	srv := fixture(t)
	_, _, body := get(t, srv.URL+"/search?q=&sort=name")
	for _, want := range []string{
		`<nav class="facets" aria-label="Refine">`,
		// Both bundles are node; each counts once.
		`<a href="/search?sort=name&amp;type=node">node</a> <span class="count">2</span>`,
		`<a href="/search?arch=amd64&amp;os=linux&amp;sort=name">linux/amd64</a> <span class="count">1</span>`,
		`<span>any</span> <span class="count">1</span>`,
		// The weather's latest is L2: it is found from min_level=1 and 2.
		`<a href="/search?min_level=2&amp;sort=name">L2 or higher</a> <span class="count">1</span>`,
		`<a href="/search?signed=on&amp;sort=name">signed</a> <span class="count">2</span>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("search page lacks %s\n%s", want, body)
		}
	}
	// A facet link finds what it counts, and marks itself current.
	_, _, body = get(t, srv.URL+"/search?sort=name&min_level=2")
	if !strings.Contains(body, "<h1>1 result</h1>") || !strings.Contains(body, `aria-current="true">L2 or higher</a>`) {
		t.Errorf("min_level=2 from the facet link:\n%s", body)
	}
}

// TestSearchPartial: partial=1 answers the heading and the results region
// alone, the same results the full page shows, for search.js to put in
// place.
func TestSearchPartial(t *testing.T) {
	srv := fixture(t)
	code, h, full := get(t, srv.URL+"/search?q=clo")
	if code != 200 || !strings.Contains(full, `href="/@acme/clock"`) || strings.Contains(full, `href="/@acme/weather"`) || !strings.Contains(full, `<div id="results" aria-live="polite">`) {
		t.Fatalf("search for the prefix clo: %d\n%s", code, full)
	}
	code, ph, part := get(t, srv.URL+"/search?q=clo&partial=1")
	if code != 200 || strings.Contains(part, "<html") || strings.Contains(part, `class="filters"`) {
		t.Fatalf("partial: %d\n%s", code, part)
	}
	region := regexp.MustCompile(`(?s)<div id="results".*</div>`)
	if got, want := region.FindString(part), region.FindString(full); got == "" || got != want {
		t.Errorf("partial region differs from the page's:\n%s\nwant\n%s", got, want)
	}
	if !strings.Contains(part, "<h1>1 result for “clo”</h1>") {
		t.Errorf("partial has no heading:\n%s", part)
	}
	// The Next link leads to a full page, not to another fragment.
	if strings.Contains(part, "partial") {
		t.Errorf("partial links to fragments:\n%s", part)
	}
	if ph.Get("Content-Security-Policy") != h.Get("Content-Security-Policy") {
		t.Errorf("partial CSP %q, page %q", ph.Get("Content-Security-Policy"), h.Get("Content-Security-Policy"))
	}
}

// TestSearchScript: the search page loads search.js by a URL carrying its
// digest, with an SRI hash of the bytes served, cached for a year; the
// script is the only one, and nothing is inline. Other pages load none.
func TestSearchScript(t *testing.T) {
	srv := fixture(t)
	_, _, body := get(t, srv.URL+"/search?q=weather")
	tags := regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1)
	m := regexp.MustCompile(`^<script src="(/static/search\.js\?v=[0-9a-f]{16})" integrity="(sha256-[^"]+)" defer>$`).FindStringSubmatch(strings.Join(tags, ""))
	if len(tags) != 1 || m == nil || strings.Count(body, "</script>") != 1 || !strings.Contains(body, "defer></script>") {
		t.Fatalf("search page scripts: %q", tags)
	}
	code, h, js := get(t, srv.URL+m[1])
	sum := sha256.Sum256([]byte(js))
	if code != 200 || "sha256-"+base64.StdEncoding.EncodeToString(sum[:]) != m[2] {
		t.Errorf("search.js: %d, integrity %s does not match the bytes served", code, m[2])
	}
	if cc := h.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("search.js by digest: Cache-Control %q", cc)
	}
	if !strings.Contains(h.Get("Content-Type"), "javascript") {
		t.Errorf("search.js Content-Type %q", h.Get("Content-Type"))
	}
	for _, bad := range []string{"innerHTML", "eval(", "new Function", "document.write"} {
		if strings.Contains(js, bad) {
			t.Errorf("search.js uses %s", bad)
		}
	}
	// A digest that is not this build's is not cached for long.
	if _, h, _ := get(t, srv.URL+"/static/search.js?v=0000000000000000"); h.Get("Cache-Control") != "public, max-age=3600" {
		t.Errorf("search.js by an old digest: Cache-Control %q", h.Get("Cache-Control"))
	}
	for _, path := range []string{"/", "/@acme/weather"} {
		if _, _, body := get(t, srv.URL+path); strings.Contains(body, "<script") {
			t.Errorf("%s loads script", path)
		}
	}
}
