package cache

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

func TestList(t *testing.T) {
	t.Parallel()
	c := openCache(t)
	if l, err := c.List(); err != nil || len(l) != 0 {
		t.Fatalf("List of an empty cache = %v, %v", l, err)
	}
	install(t, c, writeBundle(t, "b", "1.10.0", ""), Meta{Repository: "example.com/b"})
	install(t, c, writeBundle(t, "b", "1.9.0", ""), Meta{Repository: "example.com/b"})
	install(t, c, writeBundle(t, "a", "2.0.0", ""), Meta{Repository: "example.com/a"})
	// A stray directory is not an entry.
	must(t, os.MkdirAll(filepath.Join(c.Dir(), bundlesDir, "sha256", "not-a-digest"), 0o755))

	l, err := c.List()
	must(t, err)
	var got []string
	for _, e := range l {
		got = append(got, e.Meta.Repository+"@"+e.Meta.Version)
	}
	want := "[example.com/a@2.0.0 example.com/b@1.9.0 example.com/b@1.10.0]"
	if s := fmtList(got); s != want {
		t.Errorf("List = %s, want %s", s, want)
	}
}

func fmtList(s []string) string {
	out := "["
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out + "]"
}

// TestRemoveWhileInUse removes an entry whose file a server holds open.
func TestRemoveWhileInUse(t *testing.T) {
	t.Parallel()
	c := openCache(t)
	b := writeBundle(t, "srv", "1.0.0", "in use")
	e := install(t, c, b, Meta{})
	f, err := os.Open(filepath.Join(e.Dir, "server", "data.txt"))
	must(t, err)
	defer f.Close()

	must(t, c.Remove(e.Digest))
	if _, ok := c.Lookup(e.Digest); ok {
		t.Error("Lookup finds a removed entry")
	}
	if _, err := os.Stat(filepath.Dir(e.Dir)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("entry directory still exists: %v", err)
	}
	if data, err := io.ReadAll(f); err != nil || string(data) != "in use" {
		t.Errorf("open file after Remove: %q, %v", data, err)
	}
	if items := tempItems(t, c); len(items) != 0 {
		t.Errorf("tmp/ after Remove: %v", items)
	}
	if err := c.Remove(e.Digest); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("second Remove = %v, want fs.ErrNotExist", err)
	}
	if err := c.Remove(digest.Digest("sha256:nope")); err == nil {
		t.Error("Remove of an invalid digest succeeded")
	}
}

func TestPrune(t *testing.T) {
	t.Parallel()
	c := openCache(t)
	fresh := install(t, c, writeBundle(t, "fresh", "1.0.0", ""), Meta{})
	stale := install(t, c, writeBundle(t, "stale", "1.0.0", ""), Meta{})
	used := install(t, c, writeBundle(t, "used", "1.0.0", ""), Meta{})
	old := time.Now().Add(-48 * time.Hour)
	for _, e := range []*Entry{stale, used} {
		must(t, os.Chtimes(filepath.Join(c.entryDir(e.Digest), metaFile), old, old))
	}
	// A run of "used" now counts as use.
	e, _ := c.Lookup(used.Digest)
	c.Touch(e)
	// A young leftover of another process's install must survive.
	tmp, err := c.tempDir()
	must(t, err)
	young := filepath.Join(tmp, "install-young")
	must(t, os.Mkdir(young, 0o700))

	opts := PruneOptions{UnusedFor: 24 * time.Hour, DryRun: true}
	r, err := c.Prune(opts)
	must(t, err)
	removed, freed := r.Removed, r.Freed()
	if len(removed) != 1 || removed[0].Digest != stale.Digest || freed != stale.Meta.UnpackedSize || freed <= 0 {
		t.Fatalf("dry run: removed %v, freed %d; want only %s (%d bytes)", removed, freed, stale.Meta.Name, stale.Meta.UnpackedSize)
	}
	if l, _ := c.List(); len(l) != 3 {
		t.Fatalf("dry run removed entries: %d left", len(l))
	}

	opts.DryRun = false
	r, err = c.Prune(opts)
	must(t, err)
	removed = r.Removed
	if len(removed) != 1 || removed[0].Digest != stale.Digest {
		t.Fatalf("Prune removed %v, want only %s", removed, stale.Meta.Name)
	}
	for _, e := range []*Entry{fresh, used} {
		if _, ok := c.Lookup(e.Digest); !ok {
			t.Errorf("Prune removed %s, used recently", e.Meta.Name)
		}
	}

	r, err = c.Prune(PruneOptions{})
	must(t, err)
	removed, freed = r.Removed, r.Freed()
	if len(removed) != 2 || freed != fresh.Meta.UnpackedSize+used.Meta.UnpackedSize {
		t.Errorf("Prune all: removed %d, freed %d", len(removed), freed)
	}
	if l, _ := c.List(); len(l) != 0 {
		t.Errorf("Prune all left %d entries", len(l))
	}
	if _, err := os.Stat(young); err != nil {
		t.Errorf("Prune removed a young leftover: %v", err)
	}
}
