package lock

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), DefaultFile)
	f, err := Load(path)
	if err != nil || len(f.Bundles) != 0 {
		t.Fatalf("missing lock: %+v, %v", f, err)
	}
	d := digest.FromString("index")
	f.Set("@acme/weather@^1.2", Entry{Repository: "ghcr.io/acme/weather", Version: "1.4.0", Digest: d})
	f.Set("@acme/alpha", Entry{Repository: "ghcr.io/acme/alpha", Version: "0.1.0", Digest: digest.FromString("a")})
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if !strings.HasSuffix(string(raw), "}\n") || strings.Index(string(raw), "@acme/alpha") > strings.Index(string(raw), "@acme/weather") {
		t.Errorf("lock is not sorted with a final newline:\n%s", raw)
	}
	g, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := g.Get("@acme/weather@^1.2"); !ok || e.Digest != d || e.Version != "1.4.0" {
		t.Fatalf("reloaded entry %+v %v", e, ok)
	}
	if strings.Join(g.Refs(), ",") != "@acme/alpha,@acme/weather@^1.2" {
		t.Errorf("refs %v", g.Refs())
	}
}

func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"garbage":  "{",
		"future":   `{"lockfileVersion": 99, "bundles": {}}`,
		"nodigest": `{"lockfileVersion": 1, "bundles": {"@a/b": {"repository": "h/a/b", "digest": "nope"}}}`,
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: err = %v, want one naming the file", name, err)
		}
	}
}
