package api

import (
	"errors"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
)

// Badge colours, as shields.io names them.
const (
	colorLabel    = "#555"
	colorBlue     = "#007ec6"
	colorOrange   = "#fe7d37"
	colorGreen    = "#4c1"
	colorRed      = "#e05d44"
	colorNotFound = "#9f9f9f"
)

// levelColors go from grey (no level) to green (L4).
var levelColors = [5]string{colorNotFound, colorRed, colorOrange, "#a4a61d", colorGreen}

// badge is GET /v1/bundles/@scope/name/badge.svg?type=version|downloads|level: a
// shields-style badge for READMEs. An unknown bundle still gets an image,
// so a page embedding it shows "not found" instead of a broken picture.
func (a *api) badge(w http.ResponseWriter, r *http.Request, repository string) error {
	kind := r.URL.Query().Get("type")
	if kind == "" {
		kind = "version"
	}
	if kind != "version" && kind != "downloads" && kind != "level" {
		return badRequest("type=%q: use type=version, type=downloads or type=level", kind)
	}
	vs, err := a.versions(r.Context(), repository)
	var ae *apiError
	if errors.As(err, &ae) && ae.status == http.StatusNotFound {
		// Short-lived, so a badge put in a README before the first
		// push turns right soon after it.
		writeBadge(w, http.StatusNotFound, "public, max-age=60", kind, "not found", colorNotFound)
		return nil
	}
	if err != nil {
		return err
	}
	value, color := "", colorBlue
	switch latest := latestOf(vs); kind {
	case "version":
		value = "v" + latest.Version
		if latest.Prerelease {
			color = colorOrange
		}
		// The latest is yanked only when every version is: say so, in
		// red, rather than advertise it. A tampered one is served by
		// digest only.
		switch {
		case latest.Tampered != "":
			value, color = value+" tampered", colorRed
		case latest.Yanked:
			value, color = value+" yanked", colorRed
		}
	case "level":
		// The trust level of the latest version, as a scanner mpakd
		// trusts signed it; "unverified" when only unsigned reports claim
		// one; "signed" when a signature is attached.
		value, color = fmt.Sprintf("L%d", latest.Level), levelColors[min(max(latest.Level, 0), 4)]
		if !latest.LevelVerified && latest.ClaimedLevel > 0 {
			value, color = "unverified", levelColors[0]
		}
		if latest.Signed {
			value += " signed"
		}
	default:
		stats, err := a.stats(r.Context(), repository)
		if err != nil {
			return err
		}
		value, color = shortCount(stats.Total), colorGreen
	}
	writeBadge(w, http.StatusOK, "public, max-age=300", kind, value, color)
	return nil
}

// shortCount renders a count the way badges do: 999, 1.2k, 3.4M.
func shortCount(n int64) string {
	switch {
	case n < 1000:
		return strconv.FormatInt(n, 10)
	case n < 1_000_000:
		return trimZero(float64(n)/1e3) + "k"
	case n < 1_000_000_000:
		return trimZero(float64(n)/1e6) + "M"
	}
	return trimZero(float64(n)/1e9) + "G"
}

// trimZero prints one decimal, dropped when zero ("2k", not "2.0k"), and
// truncates rather than rounds so 999,999 never reads "1000.0k".
func trimZero(f float64) string {
	tenths := int64(f * 10)
	if tenths%10 == 0 {
		return strconv.FormatInt(tenths/10, 10)
	}
	return fmt.Sprintf("%d.%d", tenths/10, tenths%10)
}

// writeBadge draws the two-part badge: a grey label and a coloured value.
// Both texts may come from a publisher's manifest, so they are escaped.
func writeBadge(w http.ResponseWriter, status int, cache, label, value, color string) {
	lw, vw := textWidth(label)+10, textWidth(value)+10
	width := lw + vw
	l, v := html.EscapeString(label), html.EscapeString(value)
	w.Header().Set("Content-Type", "image/svg+xml; charset=utf-8")
	if strings.HasPrefix(w.Header().Get("Cache-Control"), "private") {
		// A badge drawn for a user's credentials may show a repository
		// others cannot see: no shared cache may keep it.
		cache = strings.Replace(cache, "public", "private", 1)
	}
	w.Header().Set("Cache-Control", cache)
	w.WriteHeader(status)
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%[1]d" height="20" role="img" aria-label="%[2]s: %[3]s">`+
		`<title>%[2]s: %[3]s</title>`+
		`<linearGradient id="s" x2="0" y2="100%%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>`+
		`<clipPath id="r"><rect width="%[1]d" height="20" rx="3" fill="#fff"/></clipPath>`+
		`<g clip-path="url(#r)"><rect width="%[4]d" height="20" fill="%[6]s"/><rect x="%[4]d" width="%[5]d" height="20" fill="%[7]s"/>`+
		`<rect width="%[1]d" height="20" fill="url(#s)"/></g>`+
		`<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">`+
		`<text x="%[8]d" y="15" fill="#010101" fill-opacity=".3">%[2]s</text><text x="%[8]d" y="14">%[2]s</text>`+
		`<text x="%[9]d" y="15" fill="#010101" fill-opacity=".3">%[3]s</text><text x="%[9]d" y="14">%[3]s</text>`+
		`</g></svg>`+"\n",
		width, l, v, lw, vw, colorLabel, color, lw/2, lw+vw/2)
}

// textWidth estimates the width in pixels of s in 11px Verdana, the badge
// font; close enough that texts neither overflow nor float in space.
func textWidth(s string) int {
	var w float64
	for _, r := range s {
		switch {
		case r == ' ' || r == '.' || r == ',' || r == ':' || r == ';' || r == '!' || r == '|' || r == 'i' || r == 'j' || r == 'l' || r == '\'':
			w += 3.5
		case r == 'f' || r == 'r' || r == 't' || r == '(' || r == ')' || r == '-' || r == 'I':
			w += 5
		case r == 'm' || r == 'w' || r == 'M' || r == 'W':
			w += 10
		case r >= 'A' && r <= 'Z':
			w += 7.5
		default:
			w += 7
		}
	}
	return int(w + 0.5)
}
