package cache

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkLookup measures the warm-run cost of finding a cached bundle.
func BenchmarkLookup(b *testing.B) {
	c := openCache(b)
	e := install(b, c, writeBundle(b, "srv", "1.0.0", "bench"), Meta{Repository: "example.com/srv"})
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := c.Lookup(e.Digest); !ok {
			b.Fatal("miss")
		}
	}
}

// BenchmarkOpen measures what looking for dead installs adds to Open, which
// every run pays: KeepLeftovers is Open without the sweep.
func BenchmarkOpen(b *testing.B) {
	root := openCache(b).Dir()
	open := func(b *testing.B, opts Options) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := OpenWith(root, opts); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("no-sweep", func(b *testing.B) { open(b, Options{KeepLeftovers: true}) })
	b.Run("no-tmp", func(b *testing.B) { open(b, Options{}) })
	c, err := Open(root)
	must(b, err)
	tmp, err := c.tempDir()
	must(b, err)
	b.Run("empty-tmp", func(b *testing.B) { open(b, Options{}) })
	// An install in progress: its owner file is opened and found locked.
	work := filepath.Join(tmp, "install-live")
	must(b, os.Mkdir(work, 0o700))
	own := claim(work)
	defer own.removeDir(work)
	b.Run("live-install", func(b *testing.B) { open(b, Options{}) })
}
