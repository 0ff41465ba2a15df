package cache

import "testing"

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
