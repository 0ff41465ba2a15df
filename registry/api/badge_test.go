package api

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// badgeTexts parses an SVG badge (so it must be well-formed XML) and
// returns its rect fills and its texts.
func badgeTexts(t *testing.T, body []byte) (fills, texts []string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(string(body)))
	var inText bool
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return fills, texts
			}
			t.Fatalf("badge is not well-formed XML: %v\n%s", err, body)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			inText = e.Name.Local == "text"
			if e.Name.Local == "rect" {
				for _, a := range e.Attr {
					if a.Name.Local == "fill" && strings.HasPrefix(a.Value, "#") {
						fills = append(fills, a.Value)
					}
				}
			}
		case xml.CharData:
			if inText {
				texts = append(texts, string(e))
			}
		case xml.EndElement:
			inText = false
		}
	}
}

func TestBadge(t *testing.T) {
	f := defaultFixture(t)
	for path, want := range map[string][]string{
		"/v1/bundles/@acme/weather/badge.svg":                {"version", "v1.1.0", colorBlue},
		"/v1/bundles/@acme/weather/badge.svg?type=version":   {"version", "v1.1.0", colorBlue},
		"/v1/bundles/@acme/weather/badge.svg?type=downloads": {"downloads", "14", colorGreen},
		"/v1/bundles/org/team/tool/badge.svg?type=downloads": {"downloads", "0", colorGreen},
		"/v1/bundles/@acme/weather/badge.svg?type=level":     {"level", "L2 signed", colorOrange},
		"/v1/bundles/org/team/tool/badge.svg?type=level":     {"level", "L0", colorNotFound},
	} {
		resp, body := f.get(t, path)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml; charset=utf-8" ||
			resp.Header.Get("Cache-Control") != "public, max-age=300" {
			t.Errorf("%s: status %d, Content-Type %q, Cache-Control %q", path, resp.StatusCode,
				resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
		}
		fills, texts := badgeTexts(t, body)
		// Each text twice (shadow and text): label, label, value, value.
		if strings.Join(texts, "|") != strings.Join([]string{want[0], want[0], want[1], want[1]}, "|") {
			t.Errorf("%s: texts %q, want label %q and value %q", path, texts, want[0], want[1])
		}
		if len(fills) != 3 || fills[1] != colorLabel || fills[2] != want[2] {
			t.Errorf("%s: rect fills %v, want the clip, %s and %s", path, fills, colorLabel, want[2])
		}
	}

	resp, body := f.get(t, "/v1/bundles/@acme/nothing/badge.svg?type=downloads")
	_, texts := badgeTexts(t, body)
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Type") != "image/svg+xml; charset=utf-8" ||
		len(texts) != 4 || texts[2] != "not found" || !strings.Contains(string(body), colorNotFound) {
		t.Errorf("unknown bundle: status %d, texts %q; want a grey not found badge with 404", resp.StatusCode, texts)
	}
	f.wantError(t, "/v1/bundles/@acme/weather/badge.svg?type=stars", http.StatusBadRequest, codeBadRequest, "type=version, type=downloads or type=level")
}

func TestBadgePrerelease(t *testing.T) {
	f := newFixture(t, Options{}, fixtureVersions()[2:3], nil) // 2.0.0-rc.1 only
	_, body := f.get(t, "/v1/bundles/@acme/weather/badge.svg")
	fills, texts := badgeTexts(t, body)
	if texts[2] != "v2.0.0-rc.1" || fills[2] != colorOrange {
		t.Errorf("prerelease badge: %q %v, want v2.0.0-rc.1 in orange", texts, fills)
	}
}

// The version badge shows the latest, which skips yanked versions; when
// every version is yanked it says so, and a tampered latest likewise.
func TestBadgeYankedAndTampered(t *testing.T) {
	f := markedFixture(t)
	one := version("acme/moved", "1.0.0", "node", "Moved", "any")
	one.Tampered = movedTo
	if err := f.store.PutVersion(t.Context(), &one); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string][]string{
		"/v1/bundles/@acme/maps/badge.svg":  {"v1.0.0", colorBlue},
		"/v1/bundles/@acme/gone/badge.svg":  {"v1.1.0 yanked", colorRed},
		"/v1/bundles/@acme/moved/badge.svg": {"v1.0.0 tampered", colorRed},
	} {
		_, body := f.get(t, path)
		fills, texts := badgeTexts(t, body)
		if len(texts) != 4 || texts[2] != want[0] || fills[2] != want[1] {
			t.Errorf("%s: %q %v, want %s in %s", path, texts, fills, want[0], want[1])
		}
	}
}

// Badge texts are escaped: they can come from a publisher.
func TestBadgeEscapes(t *testing.T) {
	rec := httptest.NewRecorder()
	writeBadge(rec, http.StatusOK, "no-cache", `a<b>&"c'`, "</text><script>alert(1)</script>", colorBlue)
	body := rec.Body.String()
	if strings.Contains(body, "<script>") || strings.Contains(body, "a<b>") {
		t.Fatalf("unescaped text in badge:\n%s", body)
	}
	_, texts := badgeTexts(t, rec.Body.Bytes())
	if texts[0] != `a<b>&"c'` || texts[2] != "</text><script>alert(1)</script>" {
		t.Errorf("texts %q do not read back as written", texts)
	}
}

func TestShortCount(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0", 999: "999", 1000: "1k", 1234: "1.2k", 999_999: "999.9k",
		1_000_000: "1M", 2_560_000: "2.5M", 3_000_000_000: "3G",
	} {
		if got := shortCount(n); got != want {
			t.Errorf("shortCount(%d) = %q, want %q", n, got, want)
		}
	}
}

// Wider texts make wider badges, so text never overflows its box.
func TestBadgeWidth(t *testing.T) {
	if !(textWidth("v10.20.30-rc.1") > textWidth("v1.0.0") && textWidth("v1.0.0") > 0) {
		t.Errorf("textWidth does not grow with text: %d, %d", textWidth("v10.20.30-rc.1"), textWidth("v1.0.0"))
	}
}
