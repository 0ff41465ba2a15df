package storetest

import (
	"testing"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// A yanked version stays listed and readable but is never the latest,
// unless every version is yanked; a tampered version keeps its digest and
// records the one its tag was seen at.
func testYankedAndTampered(t *testing.T, s catalog.Store) {
	v1, v2, pre := full("acme/weather", "1.0.0"), full("acme/weather", "2.0.0"), bundle("acme/weather", "3.0.0-rc.1")
	v2.Yanked, v2.YankReason = true, "leaks the API key in logs"
	v1.Tampered = digest("something else")
	put(t, s, v1, v2, pre)

	wantVersion(t, "yanked version", getVersion(t, s, "acme/weather", "2.0.0"), v2)
	wantVersion(t, "tampered version", getVersion(t, s, "acme/weather", "1.0.0"), v1)
	if got := getBundle(t, s, "acme/weather").Latest.Version; got != "1.0.0" {
		t.Errorf("latest with 2.0.0 yanked = %s, want 1.0.0 (the highest release not yanked)", got)
	}
	res := search(t, s, catalog.Query{Text: "weather"})
	if len(res.Bundles) != 1 || res.Bundles[0].Latest.Version != "1.0.0" {
		t.Errorf("search shows %+v, want acme/weather at 1.0.0", repositories(res))
	}
	vs, err := s.Versions(ctx(t), "acme/weather")
	if err != nil {
		t.Fatal(err)
	}
	if got := versionsOf(vs); len(got) != 3 {
		t.Errorf("versions %q, want all three, the yanked one too", got)
	}

	v1.Yanked, v1.YankReason = true, "superseded"
	put(t, s, v1)
	if got := getBundle(t, s, "acme/weather").Latest.Version; got != "3.0.0-rc.1" {
		t.Errorf("latest with every release yanked = %s, want the prerelease 3.0.0-rc.1", got)
	}
	pre.Yanked = true
	put(t, s, pre)
	if b := getBundle(t, s, "acme/weather"); b.Latest.Version != "2.0.0" || !b.Latest.Yanked {
		t.Errorf("latest with every version yanked = %s (yanked %v), want 2.0.0, marked yanked", b.Latest.Version, b.Latest.Yanked)
	}

	v2.Yanked, v2.YankReason = false, ""
	put(t, s, v2)
	if got := getBundle(t, s, "acme/weather").Latest.Version; got != "2.0.0" {
		t.Errorf("latest after un-yanking 2.0.0 = %s, want 2.0.0", got)
	}
}
