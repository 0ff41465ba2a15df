package storetest

import (
	"testing"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// testManifest: a platform manifest digest names its build and layer; an
// index digest, a layer digest and another repository's manifest do not.
func testManifest(t *testing.T, s catalog.Store) {
	v := full("acme/weather", "1.0.0")
	put(t, s, v, full("acme/weather", "1.1.0"), bundle("other/repo", "1.0.0"))
	for _, b := range v.Builds {
		ref, err := s.Manifest(ctx(t), "acme/weather", b.ManifestDigest)
		if err != nil {
			t.Fatalf("Manifest(%s): %v", b.Platform, err)
		}
		want := catalog.LayerRef{Repository: "acme/weather", Version: "1.0.0", Platform: b.Platform, LayerDigest: b.LayerDigest}
		if *ref != want {
			t.Errorf("Manifest(%s) = %+v, want %+v", b.Platform, *ref, want)
		}
	}
	for what, d := range map[string]string{
		"the version's index digest":    v.Digest,
		"a layer digest":                v.Builds[0].LayerDigest,
		"an unknown digest":             digest("nothing"),
		"another repository's manifest": bundle("other/repo", "1.0.0").Builds[0].ManifestDigest,
	} {
		_, err := s.Manifest(ctx(t), "acme/weather", d)
		wantNotFound(t, "Manifest of "+what, err)
	}
}
