package web_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/mpak-oci/mpak/internal/testenv"
)

// axeEnv names axe-core's axe.min.js; `make test` installs the pinned
// version from npm and sets it.
const axeEnv = "MPAK_AXE_JS"

// axeSource reads axe-core, the accessibility engine; without it the test
// fails in CI and skips loudly elsewhere.
func axeSource(t *testing.T) string {
	t.Helper()
	path := os.Getenv(axeEnv)
	src, err := os.ReadFile(path)
	if err == nil && len(src) > 0 {
		return string(src)
	}
	testenv.Missing(t, fmt.Sprintf("no axe-core at %s=%q (%v): the web UI's accessibility was NOT checked; run `make test`, which installs it with npm", axeEnv, path, err))
	return ""
}

// violation is what axe reports of a failed rule.
type violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// audit runs axe-core's WCAG 2.1 A and AA rules (contrast among them)
// and its best practices on the page loaded.
const audit = `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}})
  .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + ": " + n.failureSummary)})))`

// TestAccessibility: every kind of page passes axe-core's WCAG 2.1 AA
// checks (labels, headings, landmarks, contrast, link names, tables) in a
// real Chromium, at desktop and phone widths.
func TestAccessibility(t *testing.T) {
	axe := axeSource(t)
	srv := browserCatalog(t)
	ctx := newBrowser(t)
	pages := []struct{ name, path, ready string }{
		{"home", "/", "#q"},
		{"search", "/search?q=weather&signed=on&min_level=1", "form.filters"},
		{"empty search", "/search?q=nothing-matches-this", "form.filters"},
		{"bundle (signed, provenance)", "/@acme/weather", "#provenance"},
		{"version (unsigned)", "/@acme/weather/v/1.0.0", "#provenance"},
		{"version (yanked)", "/@acme/weather/v/1.2.0", "#yanked"},
		{"version (tampered)", "/@acme/weather/v/0.9.0", "#tampered"},
		{"bundle (hostile claims)", "/@acme/clock", "#provenance"},
		{"not found", "/@acme/wether", "main"},
	}
	for _, width := range []int64{1280, 390} {
		for _, p := range pages {
			var found []violation
			err := chromedp.Run(ctx,
				chromedp.EmulateViewport(width, 900),
				chromedp.Navigate(srv.URL+p.path),
				chromedp.WaitVisible(p.ready, chromedp.ByQuery),
				// DevTools evaluation is not script the page's CSP governs.
				chromedp.Evaluate(axe, nil),
				chromedp.Evaluate(audit, &found, func(e *runtime.EvaluateParams) *runtime.EvaluateParams { return e.WithAwaitPromise(true) }),
			)
			if err != nil {
				t.Fatalf("%s at %dpx: %v", p.name, width, err)
			}
			for _, v := range found {
				t.Errorf("%s at %dpx: %s (%s): %s\n\t%s", p.name, width, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n\t"))
			}
		}
	}
	if err := ctx.Err(); err != nil && err != context.Canceled {
		t.Fatal(err)
	}
}
