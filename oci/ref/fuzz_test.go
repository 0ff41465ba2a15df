package ref

import (
	"errors"
	"strings"
	"testing"

	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"@acme/weather",
		"@acme/weather@1.2.0",
		"@acme/weather@latest",
		"@acme/weather@^1.2",
		"@acme/weather@~1.2.3",
		"@acme/weather@>=1 <2",
		"@acme/weather@1.x",
		"@acme/weather@1.2.0+build.5",
		"@acme/weather@" + dgst,
		"@acme/weather@1.2.0@" + dgst,
		"ghcr.io/acme/weather:1.2.0",
		"ghcr.io/acme/weather:1.2.0@" + dgst,
		"ghcr.io/acme/weather@sha512:" + hex64 + hex64,
		"localhost:5000/acme/weather@^1.2",
		"localhost:5000/acme/weather@>=1 <2@" + dgst,
		"[::1]:5000/a/b:1",
		"acme/weather:1.0",
		"ghcr.io/Acme/weather",
		"@acme/weather@sha256:abc",
		"ghcr.io/acme/weather:1.2.0+b",
		"",
	} {
		f.Add(seed)
	}
	d := Defaults{Registry: "ghcr.io", Namespace: "acme/mcp"}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s, d)
		if err != nil {
			if !errors.Is(err, errdef.ErrInvalidReference) {
				t.Fatalf("Parse(%q) error is not an invalid-reference error: %v", s, err)
			}
			return
		}
		// Whatever Parse accepts, oras-go must accept as a repository.
		if _, err := registry.ParseReference(r.RepositoryRef()); err != nil {
			t.Fatalf("Parse(%q) = %+v, but oras rejects %q: %v", s, r, r.RepositoryRef(), err)
		}
		if r.Digest != "" && checkDigest(r.Digest) != "" {
			t.Fatalf("Parse(%q) accepted digest %q", s, r.Digest)
		}
		if strings.HasPrefix(s, "@") {
			if !r.IsMpak() {
				t.Fatalf("Parse(%q) = %+v: lost scope/name", s, r)
			}
			if back, err := Parse(r.Display(), d); err != nil || back != r {
				t.Fatalf("Parse(Display() = %q) = %+v, %v; want %+v", r.Display(), back, err, r)
			}
			// The qualified form names the same content, without scope/name.
			r.Scope, r.Name = "", ""
		} else if r.IsMpak() {
			t.Fatalf("Parse(%q) = %+v: scope set on a qualified reference", s, r)
		}
		back, err := Parse(r.String(), d)
		if err != nil {
			t.Fatalf("Parse(String() = %q): %v (from %q)", r.String(), err, s)
		}
		if back != r {
			t.Fatalf("Parse(String() = %q) = %+v, want %+v", r.String(), back, r)
		}
	})
}
