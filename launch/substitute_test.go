package launch

import (
	"reflect"
	"testing"
)

func testVars() vars {
	dirs := &SystemDirs{Home: "/home/u", Desktop: "/home/u/Desk", Documents: "/home/u/Docs", Downloads: "/home/u/Dl"}
	return bundleVars("/b", dirs, "/", map[string]Value{
		"key":     {List: []string{"s3cret"}},
		"debug":   {List: []string{"true"}},
		"port":    {List: []string{"1.5e3"}},
		"dirs":    {List: []string{"/a", "/b c"}, Multiple: true},
		"one":     {List: []string{"/only"}, Multiple: true},
		"none":    {List: []string{}, Multiple: true},
		"tricky":  {List: []string{"${HOME}"}},
		"a.b-c d": {List: []string{"odd"}},
	})
}

func TestExpand(t *testing.T) {
	v := testVars()
	tests := []struct{ in, want string }{
		{"${__dirname}/server/index.js", "/b/server/index.js"},
		{"${HOME}|${DESKTOP}|${DOCUMENTS}|${DOWNLOADS}", "/home/u|/home/u/Desk|/home/u/Docs|/home/u/Dl"},
		{"a${/}b${pathSeparator}c", "a/b/c"},
		{"--key=${user_config.key}", "--key=s3cret"},
		{"${user_config.debug}", "true"},
		{"${user_config.port}", "1.5e3"},
		{"${user_config.a.b-c d}", "odd"},
		{"${user_config.key}${user_config.key}", "s3crets3cret"},
		// Unknown names stay literal.
		{"${UNKNOWN} ${user_config.nope} ${}", "${UNKNOWN} ${user_config.nope} ${}"},
		{"$HOME ${HOME", "$HOME ${HOME"},
		// A list has no string form: it stays literal, as in the reference host.
		{"--dirs=${user_config.dirs}", "--dirs=${user_config.dirs}"},
		{"${user_config.one}", "${user_config.one}"},
		// A value is not expanded again.
		{"${user_config.tricky}", "${HOME}"},
	}
	for _, tt := range tests {
		if got := v.expand(tt.in); got != tt.want {
			t.Errorf("expand(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestExpandArgs(t *testing.T) {
	v := testVars()
	tests := []struct {
		name     string
		in, want []string
	}{
		{"list spreads", []string{"serve", "${user_config.dirs}", "--x"}, []string{"serve", "/a", "/b c", "--x"}},
		{"one-element list", []string{"${user_config.one}"}, []string{"/only"}},
		{"empty list vanishes", []string{"a", "${user_config.none}", "b"}, []string{"a", "b"}},
		{"scalar whole element", []string{"${user_config.key}", "${user_config.debug}"}, []string{"s3cret", "true"}},
		{"list inside a string stays literal", []string{"--dirs=${user_config.dirs}"}, []string{"--dirs=${user_config.dirs}"}},
		{"unknown whole element stays literal", []string{"${user_config.nope}"}, []string{"${user_config.nope}"}},
		{"other variables", []string{"${__dirname}${/}main.py", "${HOME}"}, []string{"/b/main.py", "/home/u"}},
		{"nil", nil, []string{}},
	}
	for _, tt := range tests {
		if got := v.expandArgs(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: expandArgs(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestExpandEnv(t *testing.T) {
	in := map[string]string{"KEY": "${user_config.key}", "DIRS": "${user_config.dirs}", "DATA": "${__dirname}/data", "DEBUG": "${user_config.debug}"}
	want := map[string]string{"KEY": "s3cret", "DIRS": "${user_config.dirs}", "DATA": "/b/data", "DEBUG": "true"}
	if got := testVars().expandEnv(in); !reflect.DeepEqual(got, want) {
		t.Errorf("expandEnv = %v, want %v", got, want)
	}
	if in["KEY"] != "${user_config.key}" {
		t.Error("expandEnv modified its input")
	}
}

// An empty system directory is left undefined rather than expanding to "".
func TestEmptySystemDirStaysLiteral(t *testing.T) {
	v := bundleVars("/b", &SystemDirs{Home: "/h"}, `\`, nil)
	if got := v.expand("${DESKTOP}|${HOME}|${/}"); got != `${DESKTOP}|/h|\` {
		t.Errorf("got %q", got)
	}
}
