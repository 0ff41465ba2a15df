package bundle

import (
	"errors"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/mediatypes"
)

func TestRepositoryName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"hello":          "hello",
		"Hello World":    "hello-world",
		"my_server.v2":   "my_server.v2",
		"--weird--name!": "weird-name",
		"@acme/weather":  "acme/weather",
		"a/b":            "a-b",
		"Ünïcode":        "n-code",
		"":               "",
	} {
		if got := RepositoryName(name); got != want {
			t.Errorf("RepositoryName(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestCheckPublication(t *testing.T) {
	t.Parallel()
	ok := []struct{ repo, tag, name, version string }{
		{"acme/hello", "1.0.0", "hello", "1.0.0"},
		{"ns/mcp/acme/hello", "2.0.0-rc.1", "hello", "2.0.0-rc.1"},
		{"acme/hello-world", "1.0.0_build.5", "Hello World", "1.0.0+build.5"},
		{"mcp/acme/weather", "1.0.0", "@acme/weather", "1.0.0"},
	}
	for _, c := range ok {
		if err := CheckPublication(c.repo, c.tag, c.name, c.version); err != nil {
			t.Errorf("CheckPublication(%+v): %v", c, err)
		}
	}
	bad := []struct{ repo, tag, name, version, field, says string }{
		{"acme/evil", "1.0.0", "hello", "1.0.0", "name", "ending in /hello"},
		{"acme/hello", "0.0.1-x", "hello", "3.0.3", "version", "push it as :3.0.3"},
		{"other/weather", "1.0.0", "@acme/weather", "1.0.0", "name", "ending in /acme/weather"},
		{"hello", "1.0.0", "@acme/hello", "1.0.0", "name", "acme/hello"},
	}
	for _, c := range bad {
		err := CheckPublication(c.repo, c.tag, c.name, c.version)
		var m *MismatchError
		if !errors.As(err, &m) || m.Field != c.field || !strings.Contains(err.Error(), c.says) {
			t.Errorf("CheckPublication(%+v) = %v, want a %s mismatch saying %q", c, err, c.field, c.says)
		}
	}
}

func TestFileName(t *testing.T) {
	t.Parallel()
	linux := mediatypes.Platform{OS: "linux", Arch: "amd64"}
	for _, c := range []struct {
		name, version string
		p             mediatypes.Platform
		want          string
	}{
		{"hello", "1.0.0", mediatypes.AnyPlatform, "hello-1.0.0.mcpb"},
		{"@acme/weather", "2.1.0-rc.1+build.5", linux, "acme-weather-2.1.0-rc.1_build.5-linux-amd64.mcpb"},
		{"../../.bashrc", "1.0.0", mediatypes.AnyPlatform, "bashrc-1.0.0.mcpb"},
		{".bashrc", "/etc/passwd", mediatypes.AnyPlatform, "bashrc-etc_passwd.mcpb"},
		{"", "", mediatypes.Platform{OS: "../x", Arch: "a\\b"}, "bundle-0-x-a_b.mcpb"},
		{strings.Repeat("a", 300), "1", mediatypes.AnyPlatform, strings.Repeat("a", 64) + "-1.mcpb"},
	} {
		got := FileName(c.name, c.version, c.p)
		if got != c.want {
			t.Errorf("FileName(%q, %q, %v) = %q, want %q", c.name, c.version, c.p, got, c.want)
		}
		if strings.ContainsAny(got, `/\`) || strings.HasPrefix(got, ".") {
			t.Errorf("FileName(%q, %q) = %q is not a plain file name", c.name, c.version, got)
		}
	}
}
