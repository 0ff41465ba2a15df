package ref

import "testing"

func TestReferenceForms(t *testing.T) {
	for _, tc := range []struct {
		in, d                    string
		str, display, repository string
		mpak                     bool
	}{
		{"@acme/weather", "ghcr.io/acme/mcp", "ghcr.io/acme/mcp/acme/weather", "@acme/weather", "ghcr.io/acme/mcp/acme/weather", true},
		{"@acme/weather@1.2.0", "ghcr.io/acme/mcp", "ghcr.io/acme/mcp/acme/weather:1.2.0", "@acme/weather@1.2.0", "ghcr.io/acme/mcp/acme/weather", true},
		{"@acme/weather@^1.2", "localhost:5000", "localhost:5000/acme/weather@^1.2", "@acme/weather@^1.2", "localhost:5000/acme/weather", true},
		{"@acme/weather@1.2.0+b", "localhost:5000", "localhost:5000/acme/weather@1.2.0+b", "@acme/weather@1.2.0+b", "localhost:5000/acme/weather", true},
		{"@acme/weather@" + dgst, "localhost:5000", "localhost:5000/acme/weather@" + dgst, "@acme/weather@" + dgst, "localhost:5000/acme/weather", true},
		{"@acme/weather@1.0.0@" + dgst, "localhost:5000", "localhost:5000/acme/weather:1.0.0@" + dgst, "@acme/weather@1.0.0@" + dgst, "localhost:5000/acme/weather", true},
		{"ghcr.io/acme/weather:1.0", "", "ghcr.io/acme/weather:1.0", "ghcr.io/acme/weather:1.0", "ghcr.io/acme/weather", false},
		// '@' before an exact version is normalised to ':' (same Reference).
		{"ghcr.io/acme/weather@1.0", "", "ghcr.io/acme/weather:1.0", "ghcr.io/acme/weather:1.0", "ghcr.io/acme/weather", false},
		{"ghcr.io/acme/weather@>=1 <2", "", "ghcr.io/acme/weather@>=1 <2", "ghcr.io/acme/weather@>=1 <2", "ghcr.io/acme/weather", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			d, err := ParseDefaults(tc.d)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Parse(tc.in, d)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.String(); got != tc.str {
				t.Errorf("String() = %q, want %q", got, tc.str)
			}
			if got := r.Display(); got != tc.display {
				t.Errorf("Display() = %q, want %q", got, tc.display)
			}
			if got := r.RepositoryRef(); got != tc.repository {
				t.Errorf("RepositoryRef() = %q, want %q", got, tc.repository)
			}
			if got := r.IsMpak(); got != tc.mpak {
				t.Errorf("IsMpak() = %v, want %v", got, tc.mpak)
			}
			// Display is what users paste back, so it must parse to the
			// same reference.
			if back, err := Parse(r.Display(), d); err != nil || back != r {
				t.Errorf("Parse(Display()) = %+v, %v; want %+v", back, err, r)
			}
		})
	}
}

func TestWithVersion(t *testing.T) {
	r, err := Parse("@acme/weather@^1@"+dgst, Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	got := r.WithVersion("1.4.0")
	want := Reference{Registry: DefaultRegistry, Repository: "acme/weather", Version: "1.4.0", Scope: "acme", Name: "weather"}
	if got != want {
		t.Errorf("WithVersion = %+v, want %+v", got, want)
	}
	if r.Version != "^1" || r.Digest != dgst {
		t.Errorf("WithVersion modified its receiver: %+v", r)
	}
	if s := got.String(); s != "localhost:5000/acme/weather:1.4.0" {
		t.Errorf("String() = %q", s)
	}
}
