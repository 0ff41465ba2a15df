package weburl

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

// slowString is String without the shortcut.
func slowString(raw string) string {
	if u := Parse(raw); u != nil {
		return u.String()
	}
	return ""
}

// The shortcut answers as the parse does, for whatever it accepts.
func TestPlainAgreesWithParse(t *testing.T) {
	for _, raw := range []string{
		"https://github.com/acme/weather", "http://example.com:8080/a/b?x=1&y=2#top", "https://a.b-c.d/",
		"https://github.com/acme/w.git", "https://x.io/~u/p+q", "HTTPS://x.io/", "https://:80/", "https://x.io:/",
		"https://x:1:2/", "https:///x", "https://", "http://x.io/a b", "https://x.io/%41", "https://[::1]/",
		"https://user@x.io/", "https://x.io/a#b#c", "https://x.io?q", "https://x.io#f", "javascript:x",
	} {
		checkPlain(t, raw)
	}
	r := rand.New(rand.NewPCG(5, 6))
	const alphabet = "aZ09.-_~/?=&+#:@%[] \"<>\\!$'()*,;|^`{}\x00\x7f\u00e9"
	accepted := 0
	for range 200000 {
		var b strings.Builder
		b.WriteString([]string{"https://", "http://", "HTTP://", "https:/"}[r.IntN(4)])
		for range r.IntN(16) {
			b.WriteByte(alphabet[r.IntN(len(alphabet))])
		}
		if plain(b.String()) {
			accepted++
		}
		checkPlain(t, b.String())
	}
	if accepted < 1000 {
		t.Fatalf("the random inputs gave the shortcut only %d URLs to accept", accepted)
	}
}

func FuzzPlain(f *testing.F) {
	f.Add("https://github.com/acme/weather?x=1#y")
	f.Add("http://h:1/")
	f.Fuzz(checkPlain)
}

func checkPlain(t *testing.T, raw string) {
	if !plain(raw) {
		return
	}
	if got := slowString(raw); got != raw {
		t.Fatalf("plain(%q), but the parse gives %q", raw, got)
	}
	if u, err := url.Parse(raw); err != nil || u.Host == "" || Source(raw) != raw {
		t.Fatalf("plain(%q), but url.Parse = %v, %v; Source = %q", raw, u, err, Source(raw))
	}
}
