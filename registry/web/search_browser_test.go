package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestSearchAsYouType: in Chromium, typing a prefix in the search box of
// the search page shows the matching results without submitting (the page
// is not reloaded, the URL follows), under the page's CSP with no
// violation; the page runs only our own script file, nothing inline.
func TestSearchAsYouType(t *testing.T) {
	srv := browserCatalog(t)
	ctx := newBrowser(t)
	var scripts []string
	var inline, hits int
	var first, heading, location, stayed, violations, hidden string
	err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/search"),
		chromedp.WaitVisible("form.filters", chromedp.ByQuery),
		chromedp.Evaluate(`Array.from(document.scripts, s => s.getAttribute("src"))`, &scripts),
		chromedp.Evaluate(`Array.from(document.scripts).filter(s => !s.src || s.textContent.trim() !== "").length`, &inline),
		// A mark on this document: a reload or a submit would lose it.
		chromedp.Evaluate(`window.__stayed = "yes"; window.__violations = [];
document.addEventListener("securitypolicyviolation", e => window.__violations.push(e.violatedDirective + " " + e.blockedURI)); 0`, nil),
		chromedp.SendKeys("#q", "clo", chromedp.ByID),
		chromedp.Poll(`document.querySelectorAll("#results ol.hits li").length === 1`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Evaluate(`document.querySelectorAll("#results ol.hits li").length`, &hits),
		chromedp.Text("#results ol.hits li h3 a", &first, chromedp.ByQuery),
		chromedp.Text("main h1", &heading, chromedp.ByQuery),
		chromedp.Evaluate(`location.pathname + location.search`, &location),
		chromedp.Evaluate(`window.__stayed`, &stayed),
		chromedp.Evaluate(`window.__violations.join("; ")`, &violations),
		chromedp.Evaluate(`document.querySelector("form.filters input[name=q]").value`, &hidden),
	)
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) != 1 || !strings.HasPrefix(scripts[0], "/static/search.js?v=") || inline != 0 {
		t.Errorf("the search page runs %q (%d inline); want only /static/search.js", scripts, inline)
	}
	if hits != 1 || first != "@acme/clock" {
		t.Errorf("typing clo shows %d results, first %q; want @acme/clock alone", hits, first)
	}
	if heading != "1 result for “clo”" {
		t.Errorf("heading %q after typing", heading)
	}
	// The URL is what submitting the filters form would give.
	if want := "/search?q=clo&min_level=0&sort=relevance"; location != want {
		t.Errorf("URL %q after typing, want %s", location, want)
	}
	if stayed != "yes" {
		t.Error("typing reloaded the page; it should update in place")
	}
	if violations != "" {
		t.Errorf("CSP violations: %s", violations)
	}
	if hidden != "clo" {
		t.Errorf("the filters form would search for %q, not what was typed", hidden)
	}
}

// TestSearchWithoutJavaScript: with script disabled the search box and the
// facet links still search, by plain GETs.
func TestSearchWithoutJavaScript(t *testing.T) {
	srv := browserCatalog(t)
	ctx := newBrowser(t)
	var first, facet, location string
	var hits int
	var ok bool
	err := chromedp.Run(ctx,
		emulation.SetScriptExecutionDisabled(true),
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible("#q", chromedp.ByID),
		chromedp.SendKeys("#q", "clo", chromedp.ByID),
		chromedp.Submit("#q", chromedp.ByID),
		chromedp.WaitVisible("form.filters", chromedp.ByQuery),
		chromedp.Text("#results ol.hits li h3 a", &first, chromedp.ByQuery),
		chromedp.Navigate(srv.URL+"/search"),
		chromedp.WaitVisible("form.filters", chromedp.ByQuery),
		chromedp.AttributeValue(`nav.facets a[href*="signed=on"]`, "href", &facet, &ok, chromedp.ByQuery),
		chromedp.Click(`nav.facets a[href*="signed=on"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`nav.facets a[aria-current]`, chromedp.ByQuery),
		chromedp.Evaluate(`location.pathname + location.search`, &location),
		chromedp.Evaluate(`document.querySelectorAll("#results ol.hits li").length`, &hits),
	)
	if err != nil {
		t.Fatal(err)
	}
	if first != "@acme/clock" {
		t.Errorf("submitting clo without script found %q first, want @acme/clock", first)
	}
	if location != "/search?signed=on" || hits != 2 {
		t.Errorf("the signed facet led to %q with %d results; want /search?signed=on with 2", location, hits)
	}
}
