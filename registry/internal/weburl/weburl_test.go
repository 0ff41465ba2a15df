package weburl

import "testing"

func TestWebURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://github.com/acme/weather":   "https://github.com/acme/weather",
		" http://example.com/x ":            "http://example.com/x",
		"javascript:window.__pwned=true":    "",
		"data:text/html,<script>":           "",
		"//github.com/acme/weather":         "",
		"/acme/weather":                     "",
		"git+https://github.com/acme/w":     "",
		"https://":                          "",
		"HTTPS://WWW.GitHub.com/acme/w.git": "https://WWW.GitHub.com/acme/w.git",
	} {
		if got := String(raw); got != want {
			t.Errorf("String(%q) = %q, want %q", raw, got, want)
		}
	}
	if h := Host("HTTPS://WWW.GitHub.com/acme/w"); h != "github.com" {
		t.Errorf("Host = %q, want github.com", h)
	}
	if h := Host("javascript:alert(1)"); h != "" {
		t.Errorf("Host of a javascript: URL = %q", h)
	}
}

func TestSourceAndRef(t *testing.T) {
	for raw, want := range map[string]string{
		"https://github.com/acme/w":     "https://github.com/acme/w",
		"git+https://github.com/acme/w": "git+https://github.com/acme/w",
		"git+javascript:alert(1)":       "",
		"git://github.com/acme/w":       "",
		"ssh://git@github.com/acme/w":   "",
		" JavaScript:alert(1)":          "",
		"git+https://":                  "",
		"\x01https://github.com/acme/w": "",
	} {
		if got := Source(raw); got != want {
			t.Errorf("Source(%q) = %q, want %q", raw, got, want)
		}
	}
	for raw, want := range map[string]string{
		"icon.png":                  "icon.png",
		"assets/icon-16.png":        "assets/icon-16.png",
		"https://example.com/i.png": "https://example.com/i.png",
		"javascript:alert(1)":       "",
		"JAVASCRIPT:alert(1)":       "",
		" \x01javascript:alert(1)":  "",
		"java\tscript:alert(1)":     "",
		"data:image/png;base64,AA":  "",
		"file:///etc/passwd":        "",
		"vbscript:msgbox(1)":        "",
		"https://":                  "",
	} {
		if got := Ref(raw); got != want {
			t.Errorf("Ref(%q) = %q, want %q", raw, got, want)
		}
	}
}
