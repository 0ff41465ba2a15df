package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
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
	"count": count,
	"num":   thousands,
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

// count is "1 download", "2 downloads", "1,234 downloads": n with the noun
// agreeing.
func count(n any, one, many string) string {
	var v int64
	switch n := n.(type) {
	case int:
		v = int64(n)
	case int64:
		v = n
	}
	if v == 1 {
		return "1 " + one
	}
	return thousands(v) + " " + many
}

// thousands writes n with comma separators, as English readers expect.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
