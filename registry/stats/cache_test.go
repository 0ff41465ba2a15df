package stats

import (
	"testing"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
)

func TestLayerCache(t *testing.T) {
	clk := newClock(day1)
	c := newLayerCache(2, clk.Now)
	a, b, other := layerKey{"acme/a", "sha256:1"}, layerKey{"acme/b", "sha256:2"}, layerKey{"acme/b", "sha256:3"}
	ref := &catalog.LayerRef{Repository: "acme/a", Version: "1.0.0", Platform: "any"}

	c.put(a, ref, time.Minute)
	c.put(b, nil, time.Second) // negative
	if got, ok := c.get(a); !ok || got != ref {
		t.Fatalf("get(a) = %v, %v", got, ok)
	}
	if got, ok := c.get(b); !ok || got != nil {
		t.Fatalf("get(b) = %v, %v; want a cached negative answer", got, ok)
	}

	// Full: adding a third evicts the least recently used (a, as b was
	// read last).
	c.put(other, nil, time.Minute)
	if _, ok := c.get(a); ok {
		t.Error("a survived eviction")
	}
	if c.len() != 2 {
		t.Errorf("len = %d, want the bound 2", c.len())
	}

	// Expiry.
	clk.set(day1.Add(2 * time.Second))
	if _, ok := c.get(b); ok {
		t.Error("a negative answer outlived its TTL")
	}
	if _, ok := c.get(other); !ok {
		t.Error("an answer expired early")
	}

	// forget drops one repository's answers only.
	c.put(a, ref, time.Minute)
	c.forget("acme/b")
	if _, ok := c.get(other); ok {
		t.Error("forget(acme/b) kept acme/b's answer")
	}
	if _, ok := c.get(a); !ok {
		t.Error("forget(acme/b) dropped acme/a's answer")
	}
}
