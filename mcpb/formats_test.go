package mcpb

import (
	"math"
	"strings"
	"testing"
)

// TestCheckURLMessages: the WHATWG-compatible check still says what is
// wrong and how to fix it.
func TestCheckURLMessages(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://example.com/a b":   "",
		" http:example.com ":        "",
		"foo://":                    "",
		"example.com":               `"example.com" is not an absolute URL (want e.g. https://example.com/page)`,
		"https://user@":             `"https://user@" has no host`,
		"https://example.com:99999": `has an invalid port "99999" (want a number up to 65535)`,
		"https://exa%20mple.com":    `has an invalid host "exa mple.com"`,
		"https://1.2.3.256/":        `has an invalid IPv4 address "1.2.3.256"`,
		"https://[::1/":             "has an unterminated IPv6 address",
	} {
		got := checkURL(in)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("checkURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestHugeNumbersRead: 1e400 reads as JavaScript reads it, Infinity, with
// a warning; the typed view holds the largest finite float and Raw the
// original text.
func TestHugeNumbersRead(t *testing.T) {
	t.Parallel()
	m := baseManifest("0.3")
	m["user_config"] = map[string]any{"n": map[string]any{"type": "number", "title": "t", "description": "d", "max": "MAX", "default": "DEF"}}
	raw := strings.NewReplacer(`"MAX"`, "1e400", `"DEF"`, "-1e400").Replace(string(mustJSON(t, m)))
	got, warns, err := ParseManifest([]byte(raw), ParseOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	assertProblems(t, "warnings", warns, []string{"user_config.n.max: number 1e400 is beyond the range of a 64-bit float and reads as Infinity"})
	opt := got.UserConfig["n"]
	if opt.Max == nil || *opt.Max != math.MaxFloat64 || opt.Default != -math.MaxFloat64 {
		t.Errorf("max %v, default %v", opt.Max, opt.Default)
	}
	if !strings.Contains(string(got.Raw), "1e400") {
		t.Error("Raw lost the number as written")
	}
}
