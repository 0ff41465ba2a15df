package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/mpak-oci/mpak/registry/index"
)

var (
	markdown = goldmark.New(goldmark.WithExtensions(extension.GFM))
	// sanitize keeps what user content may format with: no script, no
	// event handlers, no javascript: URLs, no styles.
	sanitize = bluemonday.UGCPolicy()
)

// renderMarkdown is a bundle's README as safe HTML.
func renderMarkdown(src string) template.HTML {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(src), &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(src))
	}
	return template.HTML(sanitize.SanitizeBytes(buf.Bytes())) //nolint:gosec // sanitised just above
}

var funcs = template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "unknown"
		}
		return t.UTC().Format("2006-01-02")
	},
	"size": func(n int64) string {
		switch {
		case n >= 1<<20:
			return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
		case n >= 1<<10:
			return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
		}
		return fmt.Sprintf("%d B", n)
	},
}

// chart is the last 30 days of downloads as an inline SVG bar chart,
// drawn on the server: no script, readable without CSS.
func chart(daily []index.DayCount, now time.Time) string {
	const days, w, h = 30, 300, 60
	counts := make([]int64, days)
	start := index.Day(now).AddDate(0, 0, 1-days)
	var peak, total int64
	for _, d := range daily {
		i := int(index.Day(d.Day).Sub(start) / (24 * time.Hour))
		if i >= 0 && i < days {
			counts[i] += d.Count
		}
	}
	for _, c := range counts {
		peak, total = max(peak, c), total+c
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" viewBox="0 0 %d %d" width="%d" height="%d"><title>%d downloads in the last %d days</title>`, w, h, w, h, total, days)
	bar := w / days
	for i, c := range counts {
		bh := 0
		if peak > 0 {
			bh = int(c * (h - 2) / peak)
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d"><title>%s: %d</title></rect>`,
			i*bar, h-bh, bar-1, bh, start.AddDate(0, 0, i).Format("2006-01-02"), c)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// control is one scan result as the bundle page lists it.
type control struct {
	ID, Title, Status, Message, Remediation string
	Evidence                                []string
}

// scanControls reads the stored scan report.
func scanControls(report []byte) []control {
	var r struct {
		Controls []struct {
			ID, Title, Status, Message, Remediation string
			Evidence                                []struct {
				File    string
				Line    int
				Message string
			}
		} `json:"controls"`
	}
	if len(report) == 0 || json.Unmarshal(report, &r) != nil {
		return nil
	}
	out := make([]control, 0, len(r.Controls))
	for _, c := range r.Controls {
		x := control{ID: c.ID, Title: c.Title, Status: c.Status, Message: c.Message, Remediation: c.Remediation}
		for _, e := range c.Evidence {
			where := e.File
			if e.Line > 0 {
				where += fmt.Sprintf(":%d", e.Line)
			}
			if where != "" {
				where += ": "
			}
			x.Evidence = append(x.Evidence, where+e.Message)
		}
		out = append(out, x)
	}
	return out
}
