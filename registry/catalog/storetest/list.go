package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// listFixture puts versions of three repositories out of order and returns
// them in (repository, semver) order.
func listFixture(t *testing.T, s catalog.Store) []string {
	for _, rv := range [][2]string{
		{"list/c", "1.1.0"}, {"list/a", "1.10.0"}, {"list/b", "0.1.0"}, {"list/a", "2.0.0-rc.1"},
		{"list/a", "1.0.0"}, {"list/c", "1.0.0"}, {"list/a", "1.9.0"}, {"list/a", "1.9.0-rc.1"},
	} {
		put(t, s, bundle(rv[0], rv[1]))
	}
	return []string{"list/a@1.0.0", "list/a@1.9.0-rc.1", "list/a@1.9.0", "list/a@1.10.0", "list/a@2.0.0-rc.1",
		"list/b@0.1.0", "list/c@1.0.0", "list/c@1.1.0"}
}

func list(t *testing.T, s catalog.Store, after string, since time.Time, latestOnly bool, limit int) []string {
	t.Helper()
	vs, err := s.List(ctx(t), after, since, latestOnly, limit)
	if err != nil {
		t.Fatalf("List(%q, %v, %v, %d): %v", after, since, latestOnly, limit, err)
	}
	return versionsOf(vs)
}

// listAll pages through List with page size limit, following cursors.
func listAll(t *testing.T, s catalog.Store, since time.Time, latestOnly bool, limit int) []string {
	t.Helper()
	var all []string
	after := ""
	for range 100 {
		vs, err := s.List(ctx(t), after, since, latestOnly, limit)
		if err != nil {
			t.Fatalf("List(%q): %v", after, err)
		}
		if len(vs) > limit {
			t.Fatalf("List(limit %d) returned %d versions", limit, len(vs))
		}
		if len(vs) == 0 {
			return all
		}
		all = append(all, versionsOf(vs)...)
		after = catalog.Cursor(&vs[len(vs)-1])
	}
	t.Fatal("List never ran out of pages")
	return nil
}

func testList(t *testing.T, s catalog.Store) {
	want := listFixture(t, s)
	if got := list(t, s, "", time.Time{}, false, 100); !slices.Equal(got, want) {
		t.Errorf("List:\ngot  %q\nwant %q", got, want)
	}
	for _, limit := range []int{1, 3, len(want)} {
		if got := listAll(t, s, time.Time{}, false, limit); !slices.Equal(got, want) {
			t.Errorf("List in pages of %d:\ngot  %q\nwant %q", limit, got, want)
		}
	}
	if got := list(t, s, "", time.Time{}, false, 0); len(got) != len(want) {
		t.Errorf("List with no limit: %d versions, want all %d (the default page holds them)", len(got), len(want))
	}

	// Full versions come back, builds and counts included.
	addDownloads(t, s, catalog.Download{Repository: "list/b", Version: "0.1.0", Platform: "any", Day: t0, Count: 4})
	vs, err := s.List(ctx(t), "list/a@2.0.0-rc.1", time.Time{}, false, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 {
		t.Fatalf("List after list/a@2.0.0-rc.1: %d versions, want 1", len(vs))
	}
	wantB := bundle("list/b", "0.1.0")
	wantB.Downloads = 4
	wantVersion(t, "listed version", &vs[0], wantB)

	// The cursor need not exist: a version deleted between two pages.
	if err := s.DeleteVersion(ctx(t), "list/a", "1.9.0"); err != nil {
		t.Fatal(err)
	}
	if got := list(t, s, "list/a@1.9.0", time.Time{}, false, 2); !slices.Equal(got, []string{"list/a@1.10.0", "list/a@2.0.0-rc.1"}) {
		t.Errorf("List after a deleted version: %q, want list/a@1.10.0 and list/a@2.0.0-rc.1", got)
	}
	if got := list(t, s, "list/c@1.1.0", time.Time{}, false, 10); len(got) != 0 {
		t.Errorf("List after the last version: %q, want nothing", got)
	}
}

func testListSinceAndLatest(t *testing.T, s catalog.Store) {
	listFixture(t, s)
	late := bundle("list/b", "0.2.0-beta")
	late.IndexedAt = t0.Add(time.Hour)
	later := bundle("list/c", "1.2.0")
	later.IndexedAt = t0.Add(2 * time.Hour)
	put(t, s, late, later)

	if got, want := listAll(t, s, time.Time{}, true, 2), []string{"list/a@1.10.0", "list/b@0.1.0", "list/c@1.2.0"}; !slices.Equal(got, want) {
		t.Errorf("List latest only:\ngot  %q\nwant %q", got, want)
	}
	if got, want := listAll(t, s, t0.Add(30*time.Minute), false, 1), []string{"list/b@0.2.0-beta", "list/c@1.2.0"}; !slices.Equal(got, want) {
		t.Errorf("List since:\ngot  %q\nwant %q", got, want)
	}
	// since is exclusive: a version indexed at that instant is not newer.
	if got, want := list(t, s, "", t0.Add(time.Hour), false, 10), []string{"list/c@1.2.0"}; !slices.Equal(got, want) {
		t.Errorf("List since an indexing time:\ngot  %q\nwant %q", got, want)
	}
	if got, want := list(t, s, "", t0.Add(30*time.Minute), true, 10), []string{"list/c@1.2.0"}; !slices.Equal(got, want) {
		t.Errorf("List since, latest only:\ngot  %q\nwant %q", got, want)
	}
}

func testListBadCursor(t *testing.T, s catalog.Store) {
	listFixture(t, s)
	for _, after := range []string{"list/a", "@1.0.0", "list/a@", "list/a@latest", "list/a@v1.0.0"} {
		if _, err := s.List(ctx(t), after, time.Time{}, false, 10); err == nil {
			t.Errorf("List(after %q) succeeded, want an error about the cursor", after)
		}
	}
}
