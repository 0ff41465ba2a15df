package web_test

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/web"
)

// TestDownloadsChart: the bundle page draws the last 90 days of
// downloads with a value axis, dates and the total, and says the same in
// text.
func TestDownloadsChart(t *testing.T) {
	st, err := sqlite.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.PutVersion(t.Context(), version("acme/weather", "1.1.0", "Forecasts", "Weather.", 0, false)); err != nil {
		t.Fatal(err)
	}
	today := catalog.Day(time.Now())
	ds := []catalog.Download{
		{Day: today, Count: 3},
		{Day: today.AddDate(0, 0, -10), Count: 1234},
		{Day: today.AddDate(0, 0, -89), Count: 1},   // the first day drawn
		{Day: today.AddDate(0, 0, -90), Count: 500}, // a day too old
	}
	for i := range ds {
		ds[i].Repository, ds[i].Version, ds[i].Platform = "acme/weather", "1.1.0", "linux/amd64"
	}
	if err := st.AddDownloads(t.Context(), ds); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(web.Options{Store: st}))
	t.Cleanup(srv.Close)
	_, _, body := get(t, srv.URL+"/@acme/weather")
	i, j := strings.Index(body, `<h2 id="downloads">`), strings.Index(body, `<h2 id="provenance">`)
	if i < 0 || j < i {
		t.Fatal("no Downloads section")
	}
	section := body[i:j]
	day := func(n int) string { return today.AddDate(0, 0, n).Format("2006-01-02") }
	for _, want := range []string{
		"<strong>1,238 downloads</strong> in the last 90 days, all versions; busiest day " + day(-10) + " (1,234). All time: 1,738.",
		`<svg class="chart" role="img" aria-labelledby="chart-title"`,
		`<title id="chart-title">Daily downloads, ` + day(-89) + " to " + day(0) + ": 1,238 downloads in all, at most 1,234 a day</title>",
		// The value axis: steps of 500 up to 1,500.
		`<svg class="chart-axis" aria-hidden="true"`, `>500</text>`, `>1,000</text>`, `>1,500</text>`,
		// The time axis: first, middle and last day.
		`text-anchor="start">` + day(-89) + `</text>`, `text-anchor="middle">` + day(-44) + `</text>`, `text-anchor="end">` + day(0) + `</text>`,
		"<title>" + day(-10) + ": 1,234 downloads</title>",
		"<title>" + day(-89) + ": 1 download</title>",
		// The same numbers as a table, newest first.
		"<tr><td>" + day(0) + "</td><td>3</td></tr><tr><td>" + day(-10) + "</td><td>1,234</td></tr><tr><td>" + day(-89) + "</td><td>1</td></tr>",
	} {
		if !strings.Contains(section, want) {
			t.Errorf("Downloads lacks %s\n%s", want, section)
		}
	}
	if n := strings.Count(section, `<rect class="bar"`); n != 3 {
		t.Errorf("%d bars, want 3 (one per day with downloads in the last 90)", n)
	}
	if strings.Contains(section, "<td>500</td>") {
		t.Error("a download 90 days ago is drawn")
	}
	// The tallest bar reaches 1,234/1,500 of the plot's height.
	m := regexp.MustCompile(`height="([0-9.]+)"><title>` + day(-10)).FindStringSubmatch(section)
	if m == nil || m[1] != "121.8" {
		t.Errorf("the 1,234 bar's height is %v, want 121.8 (148px × 1234/1500, rounded)", m)
	}

	// A bundle nobody downloaded still has axes and says so.
	if err := st.PutVersion(t.Context(), version("acme/quiet", "1.0.0", "Quiet", "Quiet.", 0, false)); err != nil {
		t.Fatal(err)
	}
	_, _, body = get(t, srv.URL+"/@acme/quiet")
	if !strings.Contains(body, "<strong>0 downloads</strong> in the last 90 days, all versions. All time: 0.") ||
		!strings.Contains(body, `<line class="axis"`) || strings.Contains(body, `<rect class="bar"`) || strings.Contains(body, "Downloads by day") {
		t.Errorf("an undownloaded bundle's chart:\n%s", body)
	}
}

// TestTrustAndFilters: a level shows as one only when a trusted scanner
// signed it; an unscanned bundle says so rather than "L0"; counts agree
// with their nouns; the platform filters offer the catalog's platforms.
func TestTrustAndFilters(t *testing.T) {
	st, err := sqlite.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	verified := version("acme/verified", "1.0.0", "Verified", "V.", 3, false)
	verified.LevelVerified = true
	claimed := version("acme/claimed", "1.0.0", "Claimed", "C.", 0, false)
	claimed.ClaimedLevel = 4
	unscanned := version("acme/unscanned", "1.0.0", "Unscanned", "U.", 0, false)
	unscanned.ScanReport = nil
	unscanned.Builds = []catalog.Build{{Platform: "windows/arm64", LayerDigest: "sha256:" + strings.Repeat("7", 64)}, {Platform: "any", LayerDigest: "sha256:" + strings.Repeat("8", 64)}}
	for _, v := range []*catalog.Version{verified, claimed, unscanned} {
		if err := st.PutVersion(t.Context(), v); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AddDownloads(t.Context(), []catalog.Download{{Repository: "acme/claimed", Version: "1.0.0", Platform: "linux/amd64", Count: 1}}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(web.Options{Store: st}))
	t.Cleanup(srv.Close)

	for path, wants := range map[string][]string{
		"/@acme/verified":   {`<a class="trust" href="#scan"><span class="level" title="from a scan signed by a scanner this registry trusts">L3</span></a>`},
		"/@acme/claimed":    {`<span class="unverified" title="an unsigned scan report claims this level; it does not count">L4 claimed, unverified</span>`, "· 1 download ·"},
		"/@acme/unscanned":  {`· <span class="unscanned">not scanned</span>`},
		"/search?q=claimed": {"<h1>1 result for", "<span>1 download</span>"},
		"/":                 {"3 bundles in this registry"},
		// Filters: the catalog's systems and architectures, not "any".
		"/search": {`<select name="os"><option value="">any</option><option value="linux" >linux</option><option value="windows" >windows</option></select>`,
			`<select name="arch"><option value="">any</option><option value="amd64" >amd64</option><option value="arm64" >arm64</option></select>`},
		// A value no build has, from a shared URL, stays selected.
		"/search?os=freebsd": {`<option value="windows" >windows</option><option value="freebsd" selected>freebsd</option></select>`, "<h1>1 result</h1>"},
	} {
		_, _, body := get(t, srv.URL+path)
		for _, want := range wants {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %s", path, want)
			}
		}
		if strings.Contains(body, ">L0<") || strings.Contains(body, "1 downloads") || strings.Contains(body, "1 results") {
			t.Errorf("%s shows L0 or a plural after 1:\n%s", path, body)
		}
	}

	// A new platform is offered as soon as a version built for it is.
	darwin := version("acme/mac", "1.0.0", "Mac", "M.", 0, false)
	darwin.Builds[0].Platform = "darwin/arm64"
	if err := st.PutVersion(t.Context(), darwin); err != nil {
		t.Fatal(err)
	}
	if _, _, body := get(t, srv.URL+"/search"); !strings.Contains(body, `<option value="">any</option><option value="darwin" >darwin</option><option value="linux" >`) {
		t.Errorf("the OS filter does not offer darwin after it was published:\n%s", body)
	}
}
