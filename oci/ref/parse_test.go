package ref

import (
	"errors"
	"strings"
	"testing"

	"oras.land/oras-go/v2/errdef"

	"github.com/mpak-oci/mpak/oci/resolve"
)

const (
	hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	dgst  = "sha256:" + hex64
)

var acme = Defaults{Registry: "ghcr.io", Namespace: "acme/mcp"}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		d    Defaults
		want Reference
	}{
		// @scope/name through the defaults.
		{"@acme/weather", acme, Reference{Registry: "ghcr.io", Repository: "acme/mcp/acme/weather", Scope: "acme", Name: "weather"}},
		{"@acme/weather@1.2.0", acme, Reference{Registry: "ghcr.io", Repository: "acme/mcp/acme/weather", Version: "1.2.0", Scope: "acme", Name: "weather"}},
		{"@acme/weather@latest", acme, Reference{Registry: "ghcr.io", Repository: "acme/mcp/acme/weather", Version: "latest", Scope: "acme", Name: "weather"}},
		{"@acme/weather@^1.2", acme, Reference{Registry: "ghcr.io", Repository: "acme/mcp/acme/weather", Version: "^1.2", Scope: "acme", Name: "weather"}},
		{"@acme/weather@~1.2.3", acme, Reference{Registry: "ghcr.io", Repository: "acme/mcp/acme/weather", Version: "~1.2.3", Scope: "acme", Name: "weather"}},
		{"@acme/weather@>=1 <2", acme, Reference{Registry: "ghcr.io", Repository: "acme/mcp/acme/weather", Version: ">=1 <2", Scope: "acme", Name: "weather"}},
		{"@acme/weather@1.x", acme, Reference{Registry: "ghcr.io", Repository: "acme/mcp/acme/weather", Version: "1.x", Scope: "acme", Name: "weather"}},
		{"@acme/weather@1.2.0+build.5", acme, Reference{Registry: "ghcr.io", Repository: "acme/mcp/acme/weather", Version: "1.2.0+build.5", Scope: "acme", Name: "weather"}},
		{"@acme/weather@" + dgst, acme, Reference{Registry: "ghcr.io", Repository: "acme/mcp/acme/weather", Digest: dgst, Scope: "acme", Name: "weather"}},
		{"@acme/weather@1.2.0@" + dgst, acme, Reference{Registry: "ghcr.io", Repository: "acme/mcp/acme/weather", Version: "1.2.0", Digest: dgst, Scope: "acme", Name: "weather"}},
		{"@my-org/weather_v2.beta", acme, Reference{Registry: "ghcr.io", Repository: "acme/mcp/my-org/weather_v2.beta", Scope: "my-org", Name: "weather_v2.beta"}},
		// No namespace: no leading slash. Zero Defaults: DefaultRegistry.
		{"@acme/weather", Defaults{Registry: "localhost:5000"}, Reference{Registry: "localhost:5000", Repository: "acme/weather", Scope: "acme", Name: "weather"}},
		{"@acme/weather@2.0.0", Defaults{}, Reference{Registry: DefaultRegistry, Repository: "acme/weather", Version: "2.0.0", Scope: "acme", Name: "weather"}},

		// Fully qualified; defaults do not apply.
		{"ghcr.io/acme/mcp/acme/weather", acme, Reference{Registry: "ghcr.io", Repository: "acme/mcp/acme/weather"}},
		{"ghcr.io/acme/weather:1.2.0", acme, Reference{Registry: "ghcr.io", Repository: "acme/weather", Version: "1.2.0"}},
		{"ghcr.io/acme/weather:latest", acme, Reference{Registry: "ghcr.io", Repository: "acme/weather", Version: "latest"}},
		{"ghcr.io/acme/weather:1.2.0_build.5", acme, Reference{Registry: "ghcr.io", Repository: "acme/weather", Version: "1.2.0_build.5"}},
		{"ghcr.io/acme/weather@" + dgst, acme, Reference{Registry: "ghcr.io", Repository: "acme/weather", Digest: dgst}},
		// Unlike oras-go, keep the tag next to the digest: it is what the user
		// will see in listings.
		{"ghcr.io/acme/weather:1.2.0@" + dgst, acme, Reference{Registry: "ghcr.io", Repository: "acme/weather", Version: "1.2.0", Digest: dgst}},
		{"localhost:5000/acme/weather@^1.2", acme, Reference{Registry: "localhost:5000", Repository: "acme/weather", Version: "^1.2"}},
		{"localhost:5000/acme/weather@>=1 <2", acme, Reference{Registry: "localhost:5000", Repository: "acme/weather", Version: ">=1 <2"}},
		{"localhost:5000/acme/weather@1.2.0", acme, Reference{Registry: "localhost:5000", Repository: "acme/weather", Version: "1.2.0"}},
		{"localhost:5000/acme/weather@1.2.0+b", acme, Reference{Registry: "localhost:5000", Repository: "acme/weather", Version: "1.2.0+b"}},
		{"localhost:5000/acme/weather@^1@" + dgst, acme, Reference{Registry: "localhost:5000", Repository: "acme/weather", Version: "^1", Digest: dgst}},
		{"localhost/weather", acme, Reference{Registry: "localhost", Repository: "weather"}},
		{"127.0.0.1:5000/a/b/c/d", acme, Reference{Registry: "127.0.0.1:5000", Repository: "a/b/c/d"}},
		{"[::1]:5000/acme/weather:1", acme, Reference{Registry: "[::1]:5000", Repository: "acme/weather", Version: "1"}},
		{"registry.example.com:443/a__b/c--d", acme, Reference{Registry: "registry.example.com:443", Repository: "a__b/c--d"}},
		{"ghcr.io/acme/weather@sha512:" + hex64 + hex64, acme, Reference{Registry: "ghcr.io", Repository: "acme/weather", Digest: "sha512:" + hex64 + hex64}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := Parse(tc.in, tc.d)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Errorf("Parse(%q)\n got  %+v\n want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		in        string
		fragments []string // all must appear in the message
	}{
		{"", []string{"empty", "@scope/name"}},
		{"   ", []string{"empty"}},
		{" @acme/weather", []string{"whitespace"}},
		{"@acme/weather@1.0 ", []string{"whitespace"}},

		// No registry host: both fixes, in the user's own names.
		{"acme/weather:1.0", []string{"no registry host", "host/acme/weather:1.0", "ghcr.io/acme/weather:1.0", "@acme/weather@1.0"}},
		{"acme/weather", []string{"no registry host", "@acme/weather "}},
		{"weather:1.0", []string{"no registry host", "host/weather:1.0", "@scope/name"}},
		{"a/b/c", []string{"no registry host", "@scope/name"}},
		{"ghcr.io", []string{"no repository", "ghcr.io/<repository>"}},
		{"localhost:5000", []string{"no repository"}},
		{"[::1]:5000", []string{"no repository", "[::1]:5000/<repository>"}},
		{"ghcr.io@" + dgst, []string{"no repository", "ghcr.io/<repository>"}},
		{"weather@1.0", []string{"no registry host"}},
		{"@acme/weather@ ^1", []string{"remove the spaces"}},
		{"ghcr.io/", []string{"repository is empty"}},

		// mpak form.
		{"@acme", []string{"@scope/name"}},
		{"@/weather", []string{"@scope/name"}},
		{"@acme/", []string{"@scope/name"}},
		{"@acme/weather/extra", []string{"exactly two parts", "host/acme/weather/extra"}},
		{"@acme/weather:1.0", []string{"follows '@'", "@acme/weather@1.0"}},
		{"@Acme/weather", []string{"uppercase", "lowercase", `"acme"`}},
		{"@acme/Weather@1.0", []string{"uppercase", `"weather"`}},
		{"@acme/wea ther", []string{"contains ' ' (U+0020)"}},
		{"@acme/wea$ther", []string{"contains '$'"}},
		{"@acme/-weather", []string{"start and end with a letter or digit"}},
		{"@acme/weather.", []string{"start and end"}},
		{"@acme/wea..ther", []string{"separate words"}},
		{"@acme/weather@", []string{"nothing follows '@'", "@acme/weather@1.2.0"}},
		{"@acme/weather@^^1", []string{"invalid version query", "^1.2"}},
		{"@acme/weather@1.0@2.0", []string{`"2.0" is not a digest`, "@acme/weather@1.0@sha256:<hex>"}},
		{"@acme/weather@@" + dgst, []string{"version before", "empty"}},

		// Digests.
		{"@acme/weather@sha256:abc", []string{"3 hex digits", "needs 64"}},
		{"@acme/weather@md5:" + hex64[:32], []string{`algorithm "md5" is not supported`, "sha256:<64"}},
		{"ghcr.io/acme/weather@sha256:" + strings.ToUpper(hex64), []string{"contains 'A'", "lowercase hex"}},
		{"ghcr.io/acme/weather@sha256:" + hex64 + "0", []string{"65 hex digits"}},
		{"ghcr.io/acme/weather@sha256:", []string{"0 hex digits"}},
		{"ghcr.io/acme/weather@:" + hex64, []string{`algorithm "" is not supported`}},

		// Tags and versions in the qualified form.
		{"ghcr.io/acme/weather:", []string{"nothing follows ':'"}},
		{"ghcr.io/acme/weather:1.2.0+b", []string{"cannot contain '+'", "ghcr.io/acme/weather:1.2.0_b", "ghcr.io/acme/weather@1.2.0+b"}},
		{"ghcr.io/acme/weather:-1", []string{"starts with '-'"}},
		{"ghcr.io/acme/weather:.1", []string{"starts with '.'"}},
		{"ghcr.io/acme/weather:" + strings.Repeat("a", 129), []string{"129 characters"}},
		{"ghcr.io/acme/weather:^1", []string{"is a range, not a tag", "ghcr.io/acme/weather@^1"}},
		{"ghcr.io/acme/weather:dev build", []string{`invalid tag "dev build"`, "contains ' ' (U+0020)"}},
		{"ghcr.io/acme/weather:1.0!", []string{"contains '!'"}},
		{"ghcr.io/acme/weather:1.0@^1", []string{"both a :tag and an @version"}},
		{"ghcr.io/acme/weather@", []string{"nothing follows '@'"}},
		{"ghcr.io/acme/weather@not a range", []string{"invalid version query"}},

		// Repository and host.
		{"ghcr.io/Acme/weather", []string{"uppercase", `"acme"`}},
		{"ghcr.io/acme//weather", []string{"empty path component"}},
		{"ghcr.io/acme/weather/", []string{"empty path component"}},
		{"ghcr.io/ac!me/weather", []string{"contains '!'"}},
		{"gh cr.io/acme/weather", []string{`registry "gh cr.io"`, "host[:port]"}},
		{"user@ghcr.io/acme/weather", []string{"host[:port]"}},
		{"ghcr.io/" + strings.Repeat("a/", 130) + "b", []string{"more than the 255"}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := Parse(tc.in, acme)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error", tc.in, got)
			}
			if !errors.Is(err, errdef.ErrInvalidReference) {
				t.Errorf("Parse(%q) error does not match errdef.ErrInvalidReference: %v", tc.in, err)
			}
			if !strings.HasPrefix(err.Error(), "invalid reference ") {
				t.Errorf("error %q does not say it is an invalid reference", err)
			}
			for _, f := range tc.fragments {
				if !strings.Contains(err.Error(), f) {
					t.Errorf("Parse(%q) error\n  %s\ndoes not contain %q", tc.in, err, f)
				}
			}
		})
	}
}

func TestParseWrapsInvalidQuery(t *testing.T) {
	_, err := Parse("@acme/weather@^^1", acme)
	if !errors.Is(err, resolve.ErrInvalidQuery) {
		t.Errorf("error %v does not wrap resolve.ErrInvalidQuery", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Input != "@acme/weather@^^1" {
		t.Errorf("error %v is not an *Error for the input", err)
	}
}
