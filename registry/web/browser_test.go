package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mpak-oci/mpak/internal/testenv"
	"github.com/mpak-oci/mpak/registry/api"
	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/web"
)

// chromium finds Debian's Chromium (.ci/run installs it); without it the
// browser test fails in CI and skips loudly elsewhere.
func chromium(t *testing.T) string {
	t.Helper()
	return testenv.Tool(t, "no Chromium installed: the web UI was NOT tested in a browser; apt-get install chromium",
		"chromium", "chromium-browser", "google-chrome")
}

// artifacts is where screenshots go: $MPAK_TEST_ARTIFACTS, else a
// directory under the system temp dir; never the repository.
func artifacts(t *testing.T) string {
	dir := os.Getenv("MPAK_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "mpak-web-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browserCatalog serves the API and the UI over a catalog with a signed
// version (keyless signature and SLSA provenance), an older one, a yanked
// and a tampered one, and a bundle whose claimed provenance is hostile.
func browserCatalog(t *testing.T) *httptest.Server {
	t.Helper()
	st, err := sqlite.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	latest := version("acme/weather", "1.1.0", "Forecasts for any city", evilReadme, 2, true)
	latest.Provenance, latest.LevelVerified = []byte(ghProvenance), true
	latest.Builds = append(latest.Builds, catalog.Build{Platform: "darwin/arm64", LayerDigest: "sha256:" + strings.Repeat("d", 64), Size: 4096})
	// The clock was never scanned.
	clock := version("acme/clock", "0.1.0", "Tells the time", "A clock.", 0, true)
	clock.Provenance, clock.ScanReport = []byte(evilProvenance), nil
	yanked := version("acme/weather", "1.2.0", "Forecasts for any city", evilReadme, 2, false)
	yanked.Yanked, yanked.YankReason = true, "leaks the API key in logs; use 1.1.0"
	tampered := version("acme/weather", "0.9.0", "Forecasts for any city", evilReadme, 1, false)
	tampered.Tampered = movedTo
	for _, v := range []*catalog.Version{version("acme/weather", "1.0.0", "Forecasts for any city", evilReadme, 2, false), latest, clock, yanked, tampered} {
		if err := st.PutVersion(t.Context(), v); err != nil {
			t.Fatal(err)
		}
	}
	// Three months of downloads, so that the chart has something to draw.
	var ds []catalog.Download
	today := catalog.Day(time.Now())
	for i := range 90 {
		if n := int64((i*37)%23 + i/3); n > 0 {
			ds = append(ds, catalog.Download{Repository: "acme/weather", Version: "1.1.0", Platform: "linux/amd64", Day: today.AddDate(0, 0, -i), Count: n})
		}
	}
	if err := st.AddDownloads(t.Context(), ds); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", api.New(api.Options{Store: st}))
	mux.Handle("/", web.New(web.Options{Store: searched(t, st)}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// newBrowser starts a headless Chromium with the flags the issue names and
// a fresh profile, for at most a minute.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	bin := chromium(t)
	// Chromium's helper processes may still write to the profile after the
	// browser is stopped, so it is removed best-effort rather than by
	// t.TempDir, whose cleanup fails the test when a file appears late.
	profile, err := os.MkdirTemp("", "mpak-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 10 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
	opts := append(chromedp.DefaultExecAllocatorOptions[:0:0],
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(profile), chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	// Cleanups run last-in first-out: the browser stops before its
	// profile is removed.
	t.Cleanup(func() { cancel(); cancelBrowser(); cancelAlloc() })
	return ctx
}

// TestInChromium drives the UI in a real headless Chromium: search, open a
// bundle, follow a version, check that a hostile README or provenance ran
// no script, render the badge, fit a phone's width, and save screenshots.
func TestInChromium(t *testing.T) {
	srv := browserCatalog(t)
	ctx := newBrowser(t)
	shots := artifacts(t)
	shot := func(name string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			var png []byte
			if err := chromedp.FullScreenshot(&png, 100).Do(ctx); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644)
		})
	}

	var first, href, title, versionHref, version, pwned, badge, source, clockPwned string
	var scripts int
	var ok bool
	err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible("#q", chromedp.ByID),
		chromedp.SendKeys("#q", "weather", chromedp.ByID),
		chromedp.Submit("#q", chromedp.ByID),
		// Only the results page has the filters form: nothing is read from
		// the page being left.
		chromedp.WaitVisible("form.filters", chromedp.ByQuery),
		chromedp.Text("ol.hits li h3 a", &first, chromedp.ByQuery),
		chromedp.AttributeValue("ol.hits li h3 a", "href", &href, &ok, chromedp.ByQuery),
		// Links are followed by navigating to their href, which waits for
		// the new page to load (a click does not).
		chromedp.ActionFunc(func(ctx context.Context) error { return chromedp.Navigate(srv.URL + href).Do(ctx) }),
		chromedp.WaitVisible("#readme", chromedp.ByID),
		chromedp.Title(&title),
		chromedp.Evaluate(`typeof window.__pwned`, &pwned),
		chromedp.Evaluate(`document.querySelectorAll('script').length`, &scripts),
		chromedp.AttributeValue(`dl.source a`, "href", &source, &ok, chromedp.ByQuery),
		chromedp.AttributeValue(`a[href$="/v/1.0.0"]`, "href", &versionHref, &ok, chromedp.ByQuery),
		chromedp.ActionFunc(func(ctx context.Context) error { return chromedp.Navigate(srv.URL + versionHref).Do(ctx) }),
		chromedp.Text("strong.version", &version, chromedp.ByQuery),
		shot("version-unsigned"),
		chromedp.Navigate(srv.URL+"/@acme/clock"),
		chromedp.WaitVisible("#provenance", chromedp.ByID),
		chromedp.Evaluate(`typeof window.__pwned`, &clockPwned),
		chromedp.Navigate(srv.URL+"/@acme/weather/badge.svg"),
		chromedp.Evaluate(`document.documentElement.tagName`, &badge),
	)
	if err != nil {
		t.Fatal(err)
	}
	if first != "@acme/weather" {
		t.Errorf("first search hit %q, want @acme/weather", first)
	}
	if !strings.HasPrefix(title, "@acme/weather") {
		t.Errorf("bundle page title %q", title)
	}
	if pwned != "undefined" || scripts != 0 {
		t.Errorf("the hostile README ran or left script: window.__pwned is %s, %d script elements", pwned, scripts)
	}
	if clockPwned != "undefined" {
		t.Errorf("the hostile provenance ran script: window.__pwned is %s", clockPwned)
	}
	if source != "https://github.com/acme/weather" {
		t.Errorf("provenance source link %q, want the attested repository", source)
	}
	if version != "1.0.0" {
		t.Errorf("version page shows %q, want 1.0.0", version)
	}
	if badge != "svg" {
		t.Errorf("badge rendered as %q, want an SVG document", badge)
	}

	// Every page at a desktop's and at a phone's width (390px, and the
	// narrower 375px): nothing wider than the screen, and a screenshot of
	// each to look at.
	for _, width := range []int64{1280, 390, 375} {
		for _, p := range []struct{ name, path, ready string }{
			{"home", "/", "#q"},
			{"search", "/search?q=weather&os=linux", "form.filters"},
			{"bundle", "/@acme/weather", "#readme"},
			{"version-tampered", "/@acme/weather/v/0.9.0", "#tampered"},
			{"bundle-unscanned", "/@acme/clock", "#provenance"},
		} {
			var overflow bool
			name := fmt.Sprintf("%s-%d", p.name, width)
			err := chromedp.Run(ctx,
				chromedp.EmulateViewport(width, 900),
				chromedp.Navigate(srv.URL+p.path),
				chromedp.WaitVisible(p.ready, chromedp.ByQuery),
				chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth + 1`, &overflow),
				shot(name),
			)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if overflow {
				var wide string
				chromedp.Run(ctx, chromedp.Evaluate(`Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join('; ')`, &wide))
				t.Errorf("%s at %dpx is wider than the screen: %s", p.path, width, wide)
			}
		}
	}

	// The chart is drawn at the page's width, its labels at their size,
	// and its bars inside it, at both widths.
	for _, width := range []int64{1280, 390} {
		var got struct {
			Chart, Axis, Main, Font, Bars float64
			Inside                        bool
		}
		err := chromedp.Run(ctx,
			chromedp.EmulateViewport(width, 900),
			chromedp.Navigate(srv.URL+"/@acme/weather"),
			chromedp.WaitVisible("svg.chart", chromedp.ByQuery),
			chromedp.ActionFunc(func(ctx context.Context) error {
				var png []byte
				if err := chromedp.Screenshot(`section[aria-labelledby="downloads"]`, &png, chromedp.ByQuery).Do(ctx); err != nil {
					return err
				}
				return os.WriteFile(filepath.Join(shots, fmt.Sprintf("chart-%d.png", width)), png, 0o644)
			}),
			chromedp.Evaluate(`(() => {
  const svg = document.querySelector('svg.chart'), box = svg.getBoundingClientRect();
  const bars = Array.from(svg.querySelectorAll('rect.bar')).map(r => r.getBoundingClientRect());
  const main = document.querySelector('main'), pad = getComputedStyle(main);
  return {chart: box.width, axis: document.querySelector('svg.chart-axis').getBoundingClientRect().width,
    main: main.clientWidth - parseFloat(pad.paddingLeft) - parseFloat(pad.paddingRight),
    font: parseFloat(getComputedStyle(svg.querySelector('text')).fontSize), bars: bars.length,
    inside: bars.every(r => r.left >= box.left - 0.5 && r.right <= box.right + 0.5 && r.width > 1 && r.height > 0)};
})()`, &got),
		)
		if err != nil {
			t.Fatal(err)
		}
		if got.Bars < 60 || !got.Inside || got.Font < 12 || got.Chart+got.Axis < got.Main-1 {
			t.Errorf("the downloads chart at %dpx: %+v; want its bars inside a chart as wide as the page, with labels of 12px or more", width, got)
		}
	}
	t.Logf("screenshots in %s", shots)
}
