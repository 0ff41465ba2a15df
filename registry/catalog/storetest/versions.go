package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
)

func testRoundTrip(t *testing.T, s catalog.Store) {
	v := full("acme/weather", "1.2.3")
	put(t, s, v)
	wantVersion(t, "Version", getVersion(t, s, "acme/weather", "1.2.3"), v)

	vs, err := s.Versions(ctx(t), "acme/weather")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 {
		t.Fatalf("Versions: %d versions, want 1", len(vs))
	}
	wantVersion(t, "Versions[0]", &vs[0], v)

	b := getBundle(t, s, "acme/weather")
	wantVersion(t, "Bundle.Latest", &b.Latest, v)
	if b.Repository != "acme/weather" || b.Versions != 1 || b.Downloads != 0 {
		t.Errorf("Bundle: repository %q, %d versions, %d downloads; want acme/weather, 1, 0", b.Repository, b.Versions, b.Downloads)
	}

	// A version put without a publication time was published when it was
	// indexed, and Prerelease follows the version, whatever the caller
	// said.
	pre := bundle("acme/weather", "2.0.0-rc.1")
	pre.PublishedAt = time.Time{}
	put(t, s, pre)
	got := getVersion(t, s, "acme/weather", "2.0.0-rc.1")
	if !got.PublishedAt.Equal(t0) {
		t.Errorf("PublishedAt = %v, want its IndexedAt %v", got.PublishedAt, t0)
	}
	if !got.Prerelease {
		t.Error("2.0.0-rc.1: Prerelease = false, want true")
	}
	if !got.IndexedAt.Equal(t0) {
		t.Errorf("IndexedAt = %v, want %v", got.IndexedAt, t0)
	}
}

// testPublishedFirstSeen: a version's publication time is when the
// catalog first held its digest. Re-indexing the same bytes keeps it,
// whatever time the caller passes; other bytes under the version, or the
// version published again after a delete, are a new publication.
func testPublishedFirstSeen(t *testing.T, s catalog.Store) {
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	wantPublished := func(what string, want time.Time) {
		t.Helper()
		got := getVersion(t, s, "acme/seen", "1.0.0")
		if !got.PublishedAt.Equal(want) {
			t.Errorf("%s: PublishedAt = %v, want %v", what, got.PublishedAt, want)
		}
		if b := getBundle(t, s, "acme/seen"); !b.UpdatedAt.Equal(want) {
			t.Errorf("%s: Bundle.UpdatedAt = %v, want %v", what, b.UpdatedAt, want)
		}
	}
	v := bundle("acme/seen", "1.0.0")
	v.PublishedAt, v.IndexedAt = time.Time{}, at(1)
	put(t, s, v)
	wantPublished("first indexed", at(1))

	// Re-indexed later, also marked and yanked, and even told another
	// publication time: the same digest was published when first seen.
	v.IndexedAt = at(2)
	put(t, s, v)
	wantPublished("re-indexed", at(1))
	v.PublishedAt, v.IndexedAt, v.Yanked, v.Tampered = at(3), at(3), true, digest("elsewhere")
	put(t, s, v)
	wantPublished("re-put with another publication time", at(1))
	if got := getVersion(t, s, "acme/seen", "1.0.0"); !got.IndexedAt.Equal(at(3)) {
		t.Errorf("IndexedAt = %v after a re-put at %v: it says when the version was last indexed", got.IndexedAt, at(3))
	}

	// Other bytes under the version replace the publication.
	w := bundle("acme/seen", "1.0.0")
	w.Digest, w.PublishedAt, w.IndexedAt = digest("moved on purpose"), time.Time{}, at(4)
	put(t, s, w)
	wantPublished("new digest", at(4))

	// Deleted and published again, with the very same bytes: a new
	// publication.
	if err := s.DeleteVersion(ctx(t), "acme/seen", "1.0.0"); err != nil {
		t.Fatal(err)
	}
	w.IndexedAt = at(5)
	put(t, s, w)
	wantPublished("published again after a delete", at(5))
}

func testVersionOrder(t *testing.T, s catalog.Store) {
	// Inserted out of order; precedence per SemVer 2.0.0 §11.
	in := []string{"1.9.0", "1.10.0", "1.9.0-rc.1", "1.9.0-alpha", "1.9.0-rc.10", "1.9.0-rc.2",
		"0.1.0", "2.0.0-beta", "1.9.0-alpha.1", "1.9.0-alpha.beta", "10.0.0", "2.0.0"}
	for _, v := range in {
		put(t, s, bundle("acme/order", v))
	}
	want := []string{"10.0.0", "2.0.0", "2.0.0-beta", "1.10.0", "1.9.0", "1.9.0-rc.10", "1.9.0-rc.2",
		"1.9.0-rc.1", "1.9.0-alpha.beta", "1.9.0-alpha.1", "1.9.0-alpha", "0.1.0"}
	vs, err := s.Versions(ctx(t), "acme/order")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, v.Version)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Versions:\ngot  %q\nwant %q", got, want)
	}
	if b := getBundle(t, s, "acme/order"); b.Latest.Version != "10.0.0" || b.Versions != len(in) {
		t.Errorf("Bundle: latest %s of %d versions, want 10.0.0 of %d", b.Latest.Version, b.Versions, len(in))
	}
}

func testInvalidVersion(t *testing.T, s catalog.Store) {
	for _, v := range []string{"v1.0.0", "1.0", "latest", ""} {
		if err := s.PutVersion(ctx(t), bundle("acme/bad", v)); err == nil {
			t.Errorf("PutVersion(%q) succeeded, want an error: it has no semver order", v)
		}
	}
	if err := s.PutVersion(ctx(t), bundle("", "1.0.0")); err == nil {
		t.Error("PutVersion without a repository succeeded, want an error")
	}
	_, err := s.Bundle(ctx(t), "acme/bad")
	wantNotFound(t, "Bundle after rejected puts", err)
}

func testRePutReplaces(t *testing.T, s catalog.Store) {
	v := full("acme/weather", "1.0.0")
	put(t, s, v)
	oldLayer := v.Builds[0].LayerDigest

	// Re-indexing the same version twice changes nothing.
	put(t, s, v)
	wantVersion(t, "after an identical re-put", getVersion(t, s, "acme/weather", "1.0.0"), v)

	// Re-indexing a changed version replaces it, builds included.
	w := full("acme/weather", "1.0.0")
	w.Description = "Rewritten description about hurricanes"
	w.Tools = w.Tools[:1]
	w.Builds = []catalog.Build{{Platform: "linux/arm64", ManifestDigest: digest("new m"), LayerDigest: digest("new l"), Size: 7}}
	w.Signed, w.Level = false, 0
	put(t, s, w)
	wantVersion(t, "after a changed re-put", getVersion(t, s, "acme/weather", "1.0.0"), w)

	if b := getBundle(t, s, "acme/weather"); b.Versions != 1 {
		t.Errorf("Bundle.Versions = %d after re-puts of one version, want 1", b.Versions)
	}
	_, err := s.Layer(ctx(t), "acme/weather", oldLayer)
	wantNotFound(t, "Layer of a replaced build", err)
	if ref, err := s.Layer(ctx(t), "acme/weather", digest("new l")); err != nil || ref.Platform != "linux/arm64" {
		t.Errorf("Layer of the new build: %+v, %v; want linux/arm64", ref, err)
	}

	// The search text follows the re-put.
	wantRepositories(t, "search for the new text", search(t, s, catalog.Query{Text: "hurricanes"}), "acme/weather")
	wantRepositories(t, "search for the replaced text", search(t, s, catalog.Query{Text: "conditions"}))
	// And so do the filters, on the new builds.
	wantRepositories(t, "filter on a replaced build", search(t, s, catalog.Query{OS: "darwin", Arch: "arm64"}))
	wantRepositories(t, "filter on the new build", search(t, s, catalog.Query{OS: "linux", Arch: "arm64"}), "acme/weather")
}

func testDeleteVersion(t *testing.T, s catalog.Store) {
	put(t, s, bundle("acme/del", "1.0.0"), bundle("acme/del", "1.1.0"))
	addDownloads(t, s,
		catalog.Download{Repository: "acme/del", Version: "1.0.0", Platform: "any", Day: t0, Count: 2},
		catalog.Download{Repository: "acme/del", Version: "1.1.0", Platform: "any", Day: t0, Count: 3})

	if err := s.DeleteVersion(ctx(t), "acme/del", "1.1.0"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Version(ctx(t), "acme/del", "1.1.0")
	wantNotFound(t, "Version after delete", err)
	_, err = s.Layer(ctx(t), "acme/del", bundle("acme/del", "1.1.0").Builds[0].LayerDigest)
	wantNotFound(t, "Layer of a deleted version", err)
	b := getBundle(t, s, "acme/del")
	if b.Latest.Version != "1.0.0" || b.Versions != 1 {
		t.Errorf("Bundle after deleting the latest: latest %s of %d versions, want 1.0.0 of 1", b.Latest.Version, b.Versions)
	}
	// Counts are kept.
	if b.Downloads != 5 {
		t.Errorf("Bundle.Downloads = %d after a delete, want 5: deleting a version keeps its counts", b.Downloads)
	}
	if st, err := s.Stats(ctx(t), "acme/del"); err != nil || st.Total != 5 || st.ByVersion["1.1.0"] != 3 {
		t.Errorf("Stats after a delete: %+v, %v; want a total of 5 with 3 for 1.1.0", st, err)
	}

	wantNotFound(t, "deleting it again", s.DeleteVersion(ctx(t), "acme/del", "1.1.0"))
	wantNotFound(t, "deleting a version of an unknown bundle", s.DeleteVersion(ctx(t), "acme/nothing", "1.0.0"))

	// Deleting the last version removes the bundle, not its counts.
	if err := s.DeleteVersion(ctx(t), "acme/del", "1.0.0"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Bundle(ctx(t), "acme/del")
	wantNotFound(t, "Bundle without versions", err)
	_, err = s.Versions(ctx(t), "acme/del")
	wantNotFound(t, "Versions without versions", err)
	wantRepositories(t, "search without versions", search(t, s, catalog.Query{}))
	if st, err := s.Stats(ctx(t), "acme/del"); err != nil || st.Total != 5 {
		t.Errorf("Stats without versions: %+v, %v; want a total of 5", st, err)
	}

	// A new version brings the bundle back, with its old counts.
	put(t, s, bundle("acme/del", "2.0.0"))
	if b := getBundle(t, s, "acme/del"); b.Downloads != 5 || b.Versions != 1 {
		t.Errorf("Bundle re-created: %d downloads, %d versions; want 5, 1", b.Downloads, b.Versions)
	}
}

func testBundleLatest(t *testing.T, s catalog.Store) {
	v100 := bundle("acme/rel", "1.0.0")
	v110 := bundle("acme/rel", "1.1.0")
	v110.PublishedAt = t0.Add(24 * time.Hour)
	rc := bundle("acme/rel", "2.0.0-rc.1")
	rc.PublishedAt = t0.Add(48 * time.Hour)
	put(t, s, rc, v110, v100)
	b := getBundle(t, s, "acme/rel")
	if b.Latest.Version != "1.1.0" {
		t.Errorf("latest of 1.0.0, 1.1.0, 2.0.0-rc.1 = %s, want 1.1.0: a prerelease is latest only when nothing else is", b.Latest.Version)
	}
	if b.Versions != 3 {
		t.Errorf("Versions = %d, want 3", b.Versions)
	}
	// UpdatedAt is the newest publication, prereleases included.
	if !b.UpdatedAt.Equal(rc.PublishedAt) {
		t.Errorf("UpdatedAt = %v, want %v (2.0.0-rc.1's publication)", b.UpdatedAt, rc.PublishedAt)
	}
	if len(b.Latest.Builds) != 1 || b.Latest.Builds[0] != v110.Builds[0] {
		t.Errorf("Latest.Builds = %+v, want %+v", b.Latest.Builds, v110.Builds)
	}

	put(t, s, bundle("acme/pre", "0.2.0-beta.2"), bundle("acme/pre", "0.2.0-beta.10"), bundle("acme/pre", "0.1.0-alpha"))
	if b := getBundle(t, s, "acme/pre"); b.Latest.Version != "0.2.0-beta.10" || !b.Latest.Prerelease {
		t.Errorf("latest of prereleases only = %s (prerelease %v), want 0.2.0-beta.10 (true)", b.Latest.Version, b.Latest.Prerelease)
	}

	// Without a publication time, the indexing time dates the bundle.
	np := bundle("acme/undated", "1.0.0")
	np.PublishedAt, np.IndexedAt = time.Time{}, t0.Add(time.Hour)
	put(t, s, np)
	if b := getBundle(t, s, "acme/undated"); !b.UpdatedAt.Equal(np.IndexedAt) {
		t.Errorf("UpdatedAt of an undated version = %v, want its IndexedAt %v", b.UpdatedAt, np.IndexedAt)
	}
}

func testNotFound(t *testing.T, s catalog.Store) {
	put(t, s, bundle("acme/known", "1.0.0"))
	_, err := s.Bundle(ctx(t), "acme/unknown")
	wantNotFound(t, "Bundle", err)
	_, err = s.Versions(ctx(t), "acme/unknown")
	wantNotFound(t, "Versions", err)
	_, err = s.Version(ctx(t), "acme/unknown", "1.0.0")
	wantNotFound(t, "Version of an unknown bundle", err)
	_, err = s.Version(ctx(t), "acme/known", "9.9.9")
	wantNotFound(t, "unknown Version of a known bundle", err)
	_, err = s.Layer(ctx(t), "acme/known", digest("nothing"))
	wantNotFound(t, "Layer", err)
	_, err = s.Stats(ctx(t), "acme/unknown")
	wantNotFound(t, "Stats", err)
}

func testLayer(t *testing.T, s catalog.Store) {
	v := full("acme/weather", "1.0.0")
	put(t, s, v, full("acme/weather", "1.1.0"))
	for _, b := range v.Builds {
		ref, err := s.Layer(ctx(t), "acme/weather", b.LayerDigest)
		if err != nil {
			t.Fatalf("Layer(%s): %v", b.Platform, err)
		}
		want := catalog.LayerRef{Repository: "acme/weather", Version: "1.0.0", Platform: b.Platform}
		if *ref != want {
			t.Errorf("Layer(%s) = %+v, want %+v", b.Platform, *ref, want)
		}
	}
	// A digest is looked up within its repository only.
	put(t, s, bundle("other/repo", "1.0.0"))
	_, err := s.Layer(ctx(t), "other/repo", v.Builds[0].LayerDigest)
	wantNotFound(t, "Layer of another repository's digest", err)
	// The manifest digest is not the layer.
	_, err = s.Layer(ctx(t), "acme/weather", v.Builds[0].ManifestDigest)
	wantNotFound(t, "Layer of a manifest digest", err)
}

// WantFirstSeen checks a store after the first-seen migration: every
// version of repositories published at indexed, except acme/built, whose
// stored date (a real build date, before its indexing) stays built; and
// each bundle's UpdatedAt follows.
func WantFirstSeen(t *testing.T, s catalog.Store, repositories []string, indexed, built time.Time) {
	t.Helper()
	for _, repository := range repositories {
		want := indexed
		if repository == "acme/built" {
			want = built
		}
		v, err := s.Version(t.Context(), repository, "1.0.0")
		if err != nil {
			t.Fatal(err)
		}
		if !v.PublishedAt.Equal(want) {
			t.Errorf("%s: PublishedAt = %v after migrating, want %v", repository, v.PublishedAt, want)
		}
		if b, err := s.Bundle(t.Context(), repository); err != nil || !b.UpdatedAt.Equal(want) {
			t.Errorf("%s: Bundle.UpdatedAt = %v, %v after migrating, want %v", repository, b.UpdatedAt, err, want)
		}
	}
}
