package cache

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

func TestOpenDirs(t *testing.T) { // serial: it sets XDG_CACHE_HOME and changes directory
	dir := filepath.Join(t.TempDir(), "env")
	env := map[string]string{EnvDir: dir}
	d, err := DefaultDir(func(k string) string { return env[k] })
	if err != nil || d != dir {
		t.Errorf("DefaultDir with %s set: %s, %v", EnvDir, d, err)
	}
	_, err = Open(d)
	must(t, err)
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("cache root not created private: %v %v", fi.Mode(), err)
	}
	if _, err := Open(""); err == nil {
		t.Error("Open(\"\") opened a cache somewhere")
	}

	if runtime.GOOS == "linux" { // UserCacheDir reads XDG_CACHE_HOME on Linux
		xdg := filepath.Join(t.TempDir(), "xdg")
		t.Setenv("XDG_CACHE_HOME", xdg)
		if d, err := DefaultDir(func(string) string { return "" }); err != nil || d != filepath.Join(xdg, "mpak") {
			t.Errorf("DefaultDir = %s, %v; want $XDG_CACHE_HOME/mpak", d, err)
		}
	}

	t.Chdir(t.TempDir())
	c, err := Open("rel")
	must(t, err)
	if !filepath.IsAbs(c.Dir()) {
		t.Errorf("Open(\"rel\").Dir() = %s, want an absolute path", c.Dir())
	}
}

func TestInstallLookup(t *testing.T) {
	t.Parallel()
	c := openCache(t)
	b := writeBundle(t, "srv", "1.2.3", "a")
	if _, ok := c.Lookup(b.digest); ok {
		t.Fatal("Lookup found a bundle in an empty cache")
	}
	e := install(t, c, b, Meta{Repository: "example.com/srv", Tag: "1.2.3", Source: "registry"})
	if e.Digest != b.digest || e.Dir != filepath.Join(c.Dir(), "bundles", "sha256", b.digest.Encoded(), "bundle") {
		t.Errorf("entry = %+v", e)
	}
	m := e.Meta
	if m.Name != "srv" || m.Version != "1.2.3" || m.Size != int64(len(b.data)) || m.UnpackedSize <= 0 ||
		m.Repository != "example.com/srv" || m.InstalledAt.IsZero() {
		t.Errorf("meta = %+v", m)
	}
	checkTree(t, b.src, e.Dir)

	got, ok := c.Lookup(b.digest)
	if !ok {
		t.Fatal("Lookup misses an installed bundle")
	}
	if got.Dir != e.Dir || got.Meta.Repository != m.Repository || !got.Meta.InstalledAt.Equal(m.InstalledAt) {
		t.Errorf("Lookup = %+v, Install returned %+v", got, e)
	}
	if _, ok := c.Lookup(digest.FromString("other")); ok {
		t.Error("Lookup found an unknown digest")
	}
	for _, bad := range []digest.Digest{"", "sha256:xyz", "md5:00", "sha256:../../etc"} {
		if _, ok := c.Lookup(bad); ok {
			t.Errorf("Lookup(%q) succeeded", bad)
		}
	}
	if items := tempItems(t, c); len(items) != 0 {
		t.Errorf("tmp/ not cleaned after install: %v", items)
	}
	// Installing again must not fetch.
	if _, err := c.Install(ctx, b.digest, Meta{}, func(io.Writer) error { return errors.New("fetched again") }); err != nil {
		t.Errorf("second Install: %v", err)
	}
}

// TestInstallRefuses covers every way Install must fail without leaving
// anything that Lookup would return.
func TestInstallRefuses(t *testing.T) {
	t.Parallel()
	b := writeBundle(t, "srv", "1.0.0", "x")
	notZip := []byte("this is not a zip archive")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	tests := []struct {
		name  string
		ctx   context.Context
		d     digest.Digest
		size  int64
		fetch func(io.Writer) error
		want  string
	}{
		{"wrong bytes", ctx, b.digest, 0, fetchBytes(append([]byte("x"), b.data...)), "different content"},
		{"truncated", ctx, b.digest, int64(len(b.data)), fetchBytes(b.data[:len(b.data)/2]), "cut short"},
		{"oversized", ctx, b.digest, int64(len(b.data)) - 1, fetchBytes(b.data), "more than the"},
		{"fetch fails midway", ctx, b.digest, 0, func(w io.Writer) error {
			w.Write(b.data[:100])
			return errors.New("connection reset")
		}, "connection reset"},
		{"not a bundle", ctx, digest.FromBytes(notZip), 0, fetchBytes(notZip), "not a zip"},
		{"cancelled", cancelled, b.digest, 0, fetchBytes(b.data), "context canceled"},
		{"bad digest", ctx, "sha256:1234", 0, fetchBytes(b.data), "not a usable bundle digest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := openCache(t)
			e, err := c.Install(tt.ctx, tt.d, Meta{Size: tt.size}, tt.fetch)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Install = %v, %v; want an error containing %q", e, err, tt.want)
			}
			if _, ok := c.Lookup(tt.d); ok {
				t.Error("Lookup finds the failed install")
			}
			if l, _ := c.List(); len(l) != 0 {
				t.Errorf("List after a failed install: %v", l)
			}
			if items := tempItems(t, c); len(items) != 0 {
				t.Errorf("tmp/ not cleaned: %v", items)
			}
		})
	}
}

func TestInstallReplacesBrokenEntry(t *testing.T) {
	t.Parallel()
	c := openCache(t)
	b := writeBundle(t, "srv", "1.0.0", "x")
	dir := c.entryDir(b.digest)
	must(t, os.MkdirAll(filepath.Join(dir, treeDir), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, metaFile), []byte("{truncated"), 0o644))
	if _, ok := c.Lookup(b.digest); ok {
		t.Fatal("Lookup trusts an entry with a corrupt meta.json")
	}
	e := install(t, c, b, Meta{})
	checkTree(t, b.src, e.Dir)
	if _, ok := c.Lookup(b.digest); !ok {
		t.Error("Lookup misses the repaired entry")
	}
}

func TestInstallFile(t *testing.T) {
	t.Parallel()
	c := openCache(t)
	b := writeBundle(t, "local", "0.1.0", "y")
	e, err := c.InstallFile(b.path, Meta{})
	must(t, err)
	if e.Digest != b.digest || e.Meta.Source != b.path || e.Meta.Name != "local" {
		t.Errorf("entry = %+v", e)
	}
	checkTree(t, b.src, e.Dir)

	// A file dropped into the tree survives a re-install: nothing was
	// extracted again.
	marker := filepath.Join(e.Dir, "marker")
	must(t, os.WriteFile(marker, nil, 0o644))
	again, err := c.InstallFile(b.path, Meta{})
	must(t, err)
	if again.Dir != e.Dir {
		t.Errorf("re-install Dir = %s, want %s", again.Dir, e.Dir)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("re-install replaced the tree: %v", err)
	}

	if _, err := c.InstallFile(filepath.Join(t.TempDir(), "missing.mcpb"), Meta{}); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("InstallFile of a missing file = %v", err)
	}
}

func TestTouch(t *testing.T) {
	t.Parallel()
	c := openCache(t)
	e := install(t, c, writeBundle(t, "srv", "1.0.0", "x"), Meta{})
	meta := filepath.Join(c.entryDir(e.Digest), metaFile)
	old := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	must(t, os.Chtimes(meta, old, old))

	e, _ = c.Lookup(e.Digest)
	if !e.LastUsed.Equal(old) {
		t.Fatalf("LastUsed = %v, want meta.json's mtime %v", e.LastUsed, old)
	}
	c.Touch(e)
	fi, err := os.Stat(meta)
	must(t, err)
	if time.Since(fi.ModTime()) > time.Minute || !e.LastUsed.Equal(fi.ModTime()) {
		t.Errorf("after Touch: mtime %v, LastUsed %v", fi.ModTime(), e.LastUsed)
	}

	// A second Touch within a minute writes nothing.
	recent := time.Now().Add(-10 * time.Second).Truncate(time.Second)
	must(t, os.Chtimes(meta, recent, recent))
	e, _ = c.Lookup(e.Digest)
	c.Touch(e)
	if fi, _ := os.Stat(meta); !fi.ModTime().Equal(recent) {
		t.Errorf("Touch rewrote a fresh mtime: %v, want %v", fi.ModTime(), recent)
	}
	c.Touch(nil) // must not panic
}
