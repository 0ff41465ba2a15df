package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPath(t *testing.T) {
	t.Parallel()
	env := map[string]string{EnvPath: "/etc/mpak.json"}
	if p, err := Path(func(k string) string { return env[k] }); err != nil || p != "/etc/mpak.json" {
		t.Errorf("Path with %s set: %s, %v", EnvPath, p, err)
	}
	if p, err := Path(func(string) string { return "" }); err == nil && !strings.HasSuffix(p, filepath.Join("mpak", "config.json")) {
		t.Errorf("default Path: %s, want .../mpak/config.json", p)
	}
}

func TestDefaultsPrecedence(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.json")

	c, err := Load(path)
	if err != nil {
		t.Fatalf("missing file: %v", err)
	}
	d, err := c.Defaults("")
	if err != nil || d.Registry != "localhost:5000" {
		t.Fatalf("no configuration: %+v %v, want localhost:5000", d, err)
	}

	if err := os.WriteFile(path, []byte(`{"registry": "ghcr.io/acme/mcp"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = Load(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err = c.Defaults("")
	if err != nil || d.Registry != "ghcr.io" || d.Namespace != "acme/mcp" {
		t.Fatalf("file: %+v %v", d, err)
	}

	d, err = c.Defaults("harbor.example.com/mcp")
	if err != nil || d.Registry != "harbor.example.com" || d.Namespace != "mcp" {
		t.Fatalf("env over file: %+v %v", d, err)
	}

	if _, err := c.Defaults("https://bad"); err == nil || !strings.Contains(err.Error(), EnvRegistry) {
		t.Fatalf("bad env value: %v, want an error naming %s", err, EnvRegistry)
	}
}

func TestBrokenFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(`{"registry": `), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("broken file: %v, want an error naming %s", err, path)
	}
}

func TestValuesAreSavedPrivately(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sub", "config.json")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	c.SetValue("@acme/weather", "api_key", "s3cret")
	c.SetValue("@acme/weather", "units", "metric")
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file mode %v (%v), want 0600", fi.Mode(), err)
	}
	c, err = Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if v := c.Values("@acme/weather"); v["api_key"] != "s3cret" || v["units"] != "metric" {
		t.Fatalf("values after reload: %v", v)
	}
	if !c.Clear("@acme/weather", "units") || c.Clear("@acme/weather", "units") {
		t.Fatal("Clear of one key misreported")
	}
	if !c.Clear("@acme/weather", "") || len(c.Values("@acme/weather")) != 0 {
		t.Fatal("Clear of the bundle left values")
	}
}
