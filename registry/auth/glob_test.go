package auth

import "testing"

func TestGlobMatch(t *testing.T) {
	for _, c := range []struct {
		glob string
		yes  []string
		no   []string
	}{
		{"**", []string{"a", "acme/weather", "ns/acme/weather"}, []string{""}},
		{"acme/**", []string{"acme", "acme/x", "acme/x/y"}, []string{"acmex", "other/acme/x", "acm/x"}},
		{"acme/*", []string{"acme/x", "acme/weather-mcp"}, []string{"acme", "acme/x/y", "acmex/y"}},
		{"*/weather", []string{"acme/weather", "x/weather"}, []string{"weather", "a/b/weather", "acme/weather2"}},
		{"**/weather", []string{"weather", "acme/weather", "a/b/weather"}, []string{"acme/weathers", "weather/x"}},
		{"acme/**/mcp", []string{"acme/mcp", "acme/a/mcp", "acme/a/b/mcp"}, []string{"acme/a/mcpx", "mcp"}},
		{"**/a/**/a", []string{"a/a", "x/a/y/a", "a/a/a", "a/x/x/a"}, []string{"a", "a/x", "x/a/y"}},
		{"acme/w*r", []string{"acme/weather", "acme/wr"}, []string{"acme/weathers", "acme/w/r"}},
		{"acme/*-mcp", []string{"acme/x-mcp", "acme/-mcp", "acme/a-b-mcp"}, []string{"acme/x-mcpx"}},
		{"a*b*c", []string{"abc", "aXbYc", "abbc", "abcbc"}, []string{"ab", "acb", "a/b/c"}},
		{"acme.io/x", []string{"acme.io/x"}, []string{"acmexio/x", "acme/x"}},
		{"acme/x", []string{"acme/x"}, []string{"acme/x/y", "acme", "acme/xy"}},
	} {
		g, err := parseGlob(c.glob)
		if err != nil {
			t.Fatalf("%q: %v", c.glob, err)
		}
		for _, s := range c.yes {
			if !g.match(s) {
				t.Errorf("%q should match %q", c.glob, s)
			}
		}
		for _, s := range c.no {
			if g.match(s) {
				t.Errorf("%q should not match %q", c.glob, s)
			}
		}
	}
}

func TestGlobInvalid(t *testing.T) {
	for _, p := range []string{"", "/acme", "acme/", "acme//x", "acme**", "a/**b", "Acme/*", "acme/?", "acme/[ab]", "{a,b}", "acme x"} {
		if _, err := parseGlob(p); err == nil {
			t.Errorf("parseGlob(%q): no error", p)
		}
	}
}

func TestGlobSpecificity(t *testing.T) {
	// Expected order, most specific first.
	order := []string{"acme/weather", "acme/w*", "acme/**", "acme/*", "ac*/x/y", "**/x", "*"}
	for i := range order {
		for j := range order {
			a, _ := parseGlob(order[i])
			b, _ := parseGlob(order[j])
			if got, want := moreSpecific(a, b), i < j; got != want {
				t.Errorf("moreSpecific(%q, %q) = %v, want %v", order[i], order[j], got, want)
			}
		}
	}
}
