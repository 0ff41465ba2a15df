package ref

import (
	"errors"
	"strings"
	"testing"

	"oras.land/oras-go/v2/errdef"
)

func TestParseDefaults(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Defaults
		str  string
	}{
		{"ghcr.io/acme/mcp", Defaults{Registry: "ghcr.io", Namespace: "acme/mcp"}, "ghcr.io/acme/mcp"},
		{"localhost:5000", Defaults{Registry: "localhost:5000"}, "localhost:5000"},
		{"", Defaults{Registry: DefaultRegistry}, DefaultRegistry},
		{"ghcr.io/acme/", Defaults{Registry: "ghcr.io", Namespace: "acme"}, "ghcr.io/acme"},
		// An explicit setting is unambiguous, so a dotless host is fine.
		{"registry/team", Defaults{Registry: "registry", Namespace: "team"}, "registry/team"},
		{"[::1]:5000", Defaults{Registry: "[::1]:5000"}, "[::1]:5000"},
		{"harbor.corp.example:8443/mcp-bundles", Defaults{Registry: "harbor.corp.example:8443", Namespace: "mcp-bundles"}, "harbor.corp.example:8443/mcp-bundles"},
	} {
		got, err := ParseDefaults(tc.in)
		if err != nil {
			t.Errorf("ParseDefaults(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseDefaults(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if s := got.String(); s != tc.str {
			t.Errorf("ParseDefaults(%q).String() = %q, want %q", tc.in, s, tc.str)
		}
	}
}

func TestParseDefaultsErrors(t *testing.T) {
	for in, want := range map[string]string{
		"https://ghcr.io/acme": "drop the https:// scheme and write ghcr.io/acme",
		"ghcr.io/Acme":         `write "acme"`,
		"ghcr.io/ac me":        "whitespace",
		" ghcr.io":             "whitespace",
		"/acme":                "registry host is empty",
		"ghcr.io//acme":        "empty path component",
		"ghcr.io/acme:1.0":     "contains ':'",
		"gh^cr.io":             "not a valid registry host",
		"user@ghcr.io":         "not a valid registry host",
	} {
		_, err := ParseDefaults(in)
		if err == nil {
			t.Errorf("ParseDefaults(%q) succeeded, want an error", in)
			continue
		}
		if !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "invalid default registry") {
			t.Errorf("ParseDefaults(%q) error %q does not contain %q", in, err, want)
		}
		if !errors.Is(err, errdef.ErrInvalidReference) {
			t.Errorf("ParseDefaults(%q) error does not match errdef.ErrInvalidReference", in)
		}
	}
}
