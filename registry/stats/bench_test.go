package stats

import (
	"context"
	"testing"
)

// BenchmarkRecord measures a download's cost on the request path: a cached
// attribution and one append to the log.
func BenchmarkRecord(b *testing.B) {
	store := openStore(b, "")
	putFixture(b, store)
	c, _ := openCounter(b, Options{Store: store})
	ctx := context.Background()
	c.Record(ctx, fixtureRepo, linuxLayer) // warm the cache
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			c.Record(ctx, fixtureRepo, linuxLayer)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.Record(ctx, fixtureRepo, linuxLayer)
			}
		})
	})
}
