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
