package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// testChangeFeed checks what search engines rely on, for stores that have
// a change feed: a snapshot with its sequence number, then every put,
// delete and download count after it, each repository as it is now.
func testChangeFeed(t *testing.T, s catalog.Store) {
	feed, ok := s.(catalog.ChangeFeed)
	if !ok {
		t.Skip("the store has no change feed")
	}
	put(t, s, bundle("feed/before", "1.0.0"))
	listedOf := func() (int64, []catalog.Bundle, error) {
		var bs []catalog.Bundle
		seq, err := feed.Listed(ctx(t), func(b *catalog.Bundle) error {
			bs = append(bs, *b)
			return nil
		})
		return seq, bs, err
	}
	seq, listed, err := listedOf()
	if err != nil {
		t.Fatalf("Listed: %v", err)
	}
	if len(listed) != 1 || listed[0].Repository != "feed/before" || listed[0].Latest.Version != "1.0.0" {
		t.Fatalf("Listed = %+v, want feed/before at 1.0.0", listed)
	}
	changes := func(after int64, limit int) (int64, map[string]*catalog.Bundle) {
		t.Helper()
		next, cs, err := feed.Changes(ctx(t), after, limit)
		if err != nil {
			t.Fatalf("Changes(%d): %v", after, err)
		}
		got := map[string]*catalog.Bundle{}
		for _, c := range cs {
			if _, dup := got[c.Repository]; dup {
				t.Errorf("Changes(%d) lists %s twice", after, c.Repository)
			}
			got[c.Repository] = c.Bundle
		}
		return next, got
	}
	if next, got := changes(seq, 0); next != seq || len(got) != 0 {
		t.Fatalf("Changes after the snapshot, with no write: seq %d, %d changes; want %d, none", next, len(got), seq)
	}

	put(t, s, bundle("feed/a", "1.0.0"), bundle("feed/a", "2.0.0"), bundle("feed/b", "1.0.0"))
	addDownloads(t, s, catalog.Download{Repository: "feed/b", Version: "1.0.0", Platform: "any", Day: t0, Count: 4})
	next, got := changes(seq, 0)
	if next <= seq || len(got) != 2 || got["feed/a"] == nil || got["feed/b"] == nil {
		t.Fatalf("Changes after puts and downloads: seq %d (was %d), %v; want feed/a and feed/b", next, seq, got)
	}
	if got["feed/a"].Latest.Version != "2.0.0" || got["feed/a"].Versions != 2 {
		t.Errorf("feed/a: latest %s of %d versions, want 2.0.0 of 2", got["feed/a"].Latest.Version, got["feed/a"].Versions)
	}
	if got["feed/b"].Downloads != 4 {
		t.Errorf("feed/b: %d downloads, want 4", got["feed/b"].Downloads)
	}
	// Paging by sequence numbers reads the same changes.
	var paged []string
	for at := seq; at < next; {
		n, got := changes(at, 1)
		if n <= at {
			t.Fatalf("Changes(%d, limit 1) did not advance", at)
		}
		for r := range got {
			if !slices.Contains(paged, r) {
				paged = append(paged, r)
			}
		}
		at = n
	}
	slices.Sort(paged)
	if !slices.Equal(paged, []string{"feed/a", "feed/b"}) {
		t.Errorf("Changes one transaction at a time: %q, want feed/a and feed/b", paged)
	}

	seq = next
	for _, v := range []string{"1.0.0", "2.0.0"} {
		if err := s.DeleteVersion(ctx(t), "feed/a", v); err != nil {
			t.Fatal(err)
		}
	}
	next, got = changes(seq, 0)
	if b, ok := got["feed/a"]; next <= seq || len(got) != 1 || !ok || b != nil {
		t.Fatalf("Changes after deleting feed/a's versions: %v; want feed/a, no longer listed", got)
	}
	// A refused write changes nothing.
	if err := s.PutVersion(ctx(t), bundle("feed/c", "not-semver")); err == nil {
		t.Fatal("PutVersion of an invalid version succeeded")
	}
	if n, got := changes(next, 0); n != next || len(got) != 0 {
		t.Errorf("Changes after a refused write: seq %d, %v; want %d, none", n, got, next)
	}
	seq, listed, err = listedOf()
	if err != nil || seq != next || len(listed) != 2 {
		t.Errorf("Listed at the end: seq %d, %d bundles, %v; want %d, 2 (feed/before, feed/b)", seq, len(listed), err, next)
	}
	if _, _, err := feed.Changes(ctx(t), -5, 0); err != nil && !errors.Is(err, catalog.ErrChangesPruned) {
		t.Errorf("Changes from before the log: %v", err)
	}
}
