package storetest

import (
	"testing"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// testGeneration checks the promise search caches rely on: every
// committed put or delete moves the generation forward, and nothing else
// does (not reads, not downloads, not a refused write).
func testGeneration(t *testing.T, s catalog.Store) {
	gen := func() int64 {
		t.Helper()
		g, err := s.Generation(ctx(t))
		if err != nil {
			t.Fatalf("Generation: %v", err)
		}
		return g
	}
	g0 := gen()
	if g := gen(); g != g0 {
		t.Fatalf("Generation moved from %d to %d with no write", g0, g)
	}
	steps := []struct {
		what    string
		do      func()
		changes bool
	}{
		{"PutVersion", func() { put(t, s, bundle("acme/gen", "1.0.0")) }, true},
		{"PutVersion of the same version again", func() { put(t, s, bundle("acme/gen", "1.0.0")) }, true},
		{"PutVersion of a second repository", func() { put(t, s, bundle("acme/other", "0.1.0")) }, true},
		{"reads", func() {
			getBundle(t, s, "acme/gen")
			search(t, s, catalog.Query{Text: "gen"})
		}, false},
		{"AddDownloads", func() {
			addDownloads(t, s, catalog.Download{Repository: "acme/gen", Version: "1.0.0", Platform: "any", Day: t0, Count: 3})
		}, false},
		{"a refused PutVersion", func() {
			if err := s.PutVersion(ctx(t), bundle("acme/gen", "not-semver")); err == nil {
				t.Fatal("PutVersion of an invalid version succeeded")
			}
		}, false},
		{"DeleteVersion of an unknown version", func() {
			wantNotFound(t, "DeleteVersion", s.DeleteVersion(ctx(t), "acme/gen", "9.9.9"))
		}, false},
		{"DeleteVersion", func() {
			if err := s.DeleteVersion(ctx(t), "acme/gen", "1.0.0"); err != nil {
				t.Fatalf("DeleteVersion: %v", err)
			}
		}, true},
	}
	prev := g0
	for _, st := range steps {
		st.do()
		g := gen()
		switch {
		case st.changes && g <= prev:
			t.Errorf("after %s: generation %d, want more than %d", st.what, g, prev)
		case !st.changes && g != prev:
			t.Errorf("after %s: generation %d, want it unchanged at %d", st.what, g, prev)
		}
		prev = g
	}
}
