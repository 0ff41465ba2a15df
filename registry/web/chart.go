package web

import (
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// chartDays is how far back the downloads chart goes: the API's series
// covers the same 90 days.
const chartDays = 90

// downloads is the bundle page's Downloads section: the daily series of
// the last chartDays days drawn as an SVG bar chart with axes, and the
// same numbers as text, for screen readers and for anyone copying them.
type downloads struct {
	// SVG is the value axis and the chart, two SVG elements side by side.
	SVG template.HTML
	// Total is the chartDays days' sum, AllTime every download counted.
	Total, AllTime int64
	Days           int
	// Peak is the busiest day (zero Count: no downloads in the period).
	Peak catalog.DayCount
	// From and To are the first and last day drawn.
	From, To time.Time
	// Rows are the days with downloads, newest first.
	Rows []catalog.DayCount
}

// The chart's geometry, in CSS pixels. Horizontal positions are
// percentages of the chart's width instead, so the bars fill any screen
// while the labels keep their size: a chart scaled down by a viewBox to a
// phone's width has unreadable labels.
const (
	chartHeight = 200
	plotTop     = 22  // room for the top tick's label
	plotBottom  = 170 // the time axis; the dates go below it
	axisWidth   = 48  // the value axis's labels, beside the chart
)

// downloadsChart draws daily (oldest first, days without downloads
// omitted, as catalog.Stats has it) up to now's day. It is drawn on the
// server: no script, and readable without CSS.
func downloadsChart(daily []catalog.DayCount, allTime int64, now time.Time) downloads {
	counts := make([]int64, chartDays)
	start := catalog.Day(now).AddDate(0, 0, 1-chartDays)
	for _, d := range daily {
		i := int(catalog.Day(d.Day).Sub(start) / (24 * time.Hour))
		if i >= 0 && i < chartDays {
			counts[i] += d.Count
		}
	}
	out := downloads{AllTime: allTime, Days: chartDays, From: start, To: start.AddDate(0, 0, chartDays-1)}
	for i, c := range counts {
		day := start.AddDate(0, 0, i)
		out.Total += c
		if c > out.Peak.Count {
			out.Peak = catalog.DayCount{Day: day, Count: c}
		}
		if c > 0 {
			out.Rows = append(out.Rows, catalog.DayCount{Day: day, Count: c})
		}
	}
	slices.Reverse(out.Rows)
	step, top := scale(out.Peak.Count)
	y := func(v int64) float64 { return plotBottom - float64(v)*(plotBottom-plotTop)/float64(top) }

	// The value axis is an SVG of its own beside the chart, a fixed
	// width that the bars never reach: labels drawn over bars are hard
	// to read. Both measure heights in pixels, so its ticks line up with
	// the chart's grid lines.
	var axis strings.Builder
	fmt.Fprintf(&axis, `<svg class="chart-axis" aria-hidden="true" width="%d" height="%d">`, axisWidth, chartHeight)
	for v := int64(0); v <= top; v += step {
		fmt.Fprintf(&axis, `<text class="tick" x="%d" y="%.1f" text-anchor="end">%s</text>`, axisWidth-8, y(v)+4, thousands(v))
		fmt.Fprintf(&axis, `<line class="axis" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, axisWidth-5, axisWidth, y(v), y(v))
	}
	axis.WriteString(`</svg>`)

	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-labelledby="chart-title" width="100%%" height="%d">`, chartHeight)
	fmt.Fprintf(&b, `<title id="chart-title">Daily downloads, %s to %s: %s in all, at most %s a day</title>`,
		day(out.From), day(out.To), count(out.Total, "download", "downloads"), thousands(out.Peak.Count))
	// Grid lines first, so that bars cover them.
	for v := int64(0); v <= top; v += step {
		class := "grid"
		if v == 0 {
			class = "axis"
		}
		fmt.Fprintf(&b, `<line class="%s" x1="0" x2="100%%" y1="%.1f" y2="%.1f"/>`, class, y(v), y(v))
	}
	fmt.Fprintf(&b, `<line class="axis" x1="0" x2="0" y1="%d" y2="%d"/>`, plotTop, plotBottom)
	slot := 100.0 / chartDays
	for i, c := range counts {
		if c == 0 {
			continue
		}
		fmt.Fprintf(&b, `<rect class="bar" x="%.3f%%" y="%.1f" width="%.3f%%" height="%.1f"><title>%s: %s</title></rect>`,
			float64(i)*slot+slot*0.1, y(c), slot*0.8, plotBottom-y(c), day(start.AddDate(0, 0, i)), count(c, "download", "downloads"))
	}
	for _, t := range []struct {
		at     float64
		anchor string
		day    time.Time
	}{{0, "start", out.From}, {50, "middle", start.AddDate(0, 0, chartDays/2)}, {100, "end", out.To}} {
		fmt.Fprintf(&b, `<line class="axis" x1="%[1]g%%" x2="%[1]g%%" y1="%d" y2="%d"/>`, t.at, plotBottom, plotBottom+5)
		fmt.Fprintf(&b, `<text class="date" x="%g%%" y="%d" text-anchor="%s">%s</text>`, t.at, plotBottom+22, t.anchor, day(t.day))
	}
	b.WriteString(`</svg>`)
	out.SVG = template.HTML(axis.String() + b.String()) //nolint:gosec // numbers and dates only
	return out
}

// scale picks the value axis: a step of 1, 2 or 5 times a power of ten
// and at most four steps up to the first tick at or above peak, so every
// tick is a whole number of downloads.
func scale(peak int64) (step, top int64) {
	for mag := int64(1); ; mag *= 10 {
		for _, m := range []int64{1, 2, 5} {
			step = m * mag
			if n := (peak + step - 1) / step; n <= 4 {
				return step, max(n, 1) * step
			}
		}
	}
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }
