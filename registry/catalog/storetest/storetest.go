// Package storetest is the conformance suite of catalog.Store: every
// implementation runs it, so the SQLite and PostgreSQL stores are
// interchangeable behind mpakd.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) catalog.Store { return openEmpty(t) })
//	}
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"path"
	"slices"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// Run runs the suite. open must return a new, empty store for the test it
// is given; Run closes it when the test ends (cleanups the open function
// registers itself, such as dropping a database, run after that).
func Run(t *testing.T, open func(t *testing.T) catalog.Store) {
	opener := func(t *testing.T) catalog.Store {
		t.Helper()
		s := open(t)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	}
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s catalog.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"PublishedFirstSeen", testPublishedFirstSeen},
		{"VersionOrder", testVersionOrder},
		{"InvalidVersion", testInvalidVersion},
		{"RePutReplaces", testRePutReplaces},
		{"DeleteVersion", testDeleteVersion},
		{"BundleLatest", testBundleLatest},
		{"NotFound", testNotFound},
		{"Layer", testLayer},
		{"Manifest", testManifest},
		{"Generation", testGeneration},
		{"ChangeFeed", testChangeFeed},
		{"SearchRanking", testSearchRanking},
		{"SearchFields", testSearchFields},
		{"SearchLatestVersionOnly", testSearchLatestVersionOnly},
		{"SearchFilters", testSearchFilters},
		{"SearchSorts", testSearchSorts},
		{"SearchPaging", testSearchPaging},
		{"SearchEmptyText", testSearchEmptyText},
		{"SearchSpecialCharacters", testSearchSpecialCharacters},
		{"SearchUnknownSort", testSearchUnknownSort},
		{"List", testList},
		{"ListSinceAndLatest", testListSinceAndLatest},
		{"ListBadCursor", testListBadCursor},
		{"Downloads", testDownloads},
		{"DownloadsValidation", testDownloadsValidation},
		{"DownloadsWithoutVersions", testDownloadsWithoutVersions},
		{"ConcurrentDownloads", testConcurrentDownloads},
		{"YankedAndTampered", testYankedAndTampered},
		{"Lock", testLock},
		{"RobotTokens", testRobotTokens}, {"TokenKey", testTokenKey},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, opener(t)) })
	}
}

// t0 is the suite's clock: whole seconds, as every store keeps at least
// microseconds.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// digest is a sha256 digest named by s.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// bundle is a minimal version of repository: one platform-independent
// build, text that no search in the suite looks for.
func bundle(repository, version string) *catalog.Version {
	return &catalog.Version{
		Repository:      repository,
		Version:         version,
		Tag:             version,
		Digest:          digest(repository + "@" + version),
		Name:            path.Base(repository),
		Description:     "Conformance fixture",
		ServerType:      "node",
		ManifestVersion: "0.3",
		Builds: []catalog.Build{{
			Platform:       "any",
			ManifestDigest: digest(repository + "@" + version + " manifest"),
			LayerDigest:    digest(repository + "@" + version + " layer"),
			Size:           1024,
		}},
		PublishedAt: t0,
		IndexedAt:   t0,
	}
}

// full is a version with every field set, for round trips.
func full(repository, version string) *catalog.Version {
	v := bundle(repository, version)
	v.DisplayName = "Weather Station"
	v.Description = "Current conditions and forecasts"
	v.LongDescription = "Reads the national weather service.\nNo API key needed for basic use."
	v.Keywords = []string{"weather", "forecast"}
	v.Author = "Acme Corp"
	v.License = "MIT"
	v.Homepage = "https://acme.example/weather"
	v.SourceURL = "https://git.example/acme/weather"
	v.ServerType = "python"
	v.ManifestVersion = "0.3"
	v.Tools = []catalog.Tool{{Name: "get_forecast", Description: "Forecast for a place"}, {Name: "alerts"}}
	v.Prompts = []string{"daily-briefing"}
	v.UserConfigKeys = []string{"api_key", "units"}
	v.Builds = []catalog.Build{
		{Platform: "linux/amd64", ManifestDigest: digest(version + "m1"), LayerDigest: digest(version + "l1"), Size: 100},
		{Platform: "darwin/arm64", ManifestDigest: digest(version + "m2"), LayerDigest: digest(version + "l2"), Size: 200},
		{Platform: "windows/any", ManifestDigest: digest(version + "m3"), LayerDigest: digest(version + "l3"), Size: 300},
	}
	v.Annotations = map[string]string{"org.opencontainers.image.created": t0.Format(time.RFC3339), "dev.mpak.x": "y"}
	v.Manifest = []byte(`{"manifest_version":"0.3","name":"weather","version":"` + version + `"}`)
	v.Signed = true
	v.Level, v.LevelVerified, v.ClaimedLevel = 2, true, 4
	v.ScanReport = []byte(`{"level":2,"controls":[{"id":"L1.manifest","status":"pass"}]}`)
	v.Provenance = []byte(`{"signers":[{"kind":"signature","format":"sigstore-bundle","key_id":"sha256:ab"}]}`)
	v.PublishedAt = t0.Add(-24 * time.Hour)
	v.IndexedAt = t0.Add(90*time.Minute + 123456*time.Microsecond)
	return v
}

func ctx(t *testing.T) context.Context { return t.Context() }

func put(t *testing.T, s catalog.Store, vs ...*catalog.Version) {
	t.Helper()
	for _, v := range vs {
		if err := s.PutVersion(ctx(t), v); err != nil {
			t.Fatalf("PutVersion(%s@%s): %v", v.Repository, v.Version, err)
		}
	}
}

func addDownloads(t *testing.T, s catalog.Store, ds ...catalog.Download) {
	t.Helper()
	if err := s.AddDownloads(ctx(t), ds); err != nil {
		t.Fatalf("AddDownloads: %v", err)
	}
}

func getVersion(t *testing.T, s catalog.Store, repository, version string) *catalog.Version {
	t.Helper()
	v, err := s.Version(ctx(t), repository, version)
	if err != nil {
		t.Fatalf("Version(%s, %s): %v", repository, version, err)
	}
	return v
}

func getBundle(t *testing.T, s catalog.Store, repository string) *catalog.Bundle {
	t.Helper()
	b, err := s.Bundle(ctx(t), repository)
	if err != nil {
		t.Fatalf("Bundle(%s): %v", repository, err)
	}
	return b
}

func search(t *testing.T, s catalog.Store, q catalog.Query) *catalog.Results {
	t.Helper()
	res, err := s.Search(ctx(t), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	if res.Bundles == nil {
		t.Errorf("Search(%+v).Bundles is nil, want an empty list (it is a JSON array)", q)
	}
	return res
}

// repositories are the repositories of results, in order.
func repositories(res *catalog.Results) []string {
	out := []string{}
	for _, b := range res.Bundles {
		out = append(out, b.Repository)
	}
	return out
}

func wantRepositories(t *testing.T, what string, res *catalog.Results, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got := repositories(res); !slices.Equal(got, want) {
		t.Errorf("%s: got %q, want %q", what, got, want)
	}
}

func versionsOf(vs []catalog.Version) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, v.Repository+"@"+v.Version)
	}
	return out
}

func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("%s: got error %v, want one matching catalog.ErrNotFound", what, err)
	}
}

// wantVersion compares versions through their JSON, which is what API
// clients see (so nil and empty lists are alike), and their manifests.
func wantVersion(t *testing.T, what string, got, want *catalog.Version) {
	t.Helper()
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	if !bytes.Equal(g, w) {
		t.Errorf("%s:\ngot  %s\nwant %s", what, g, w)
	}
	if !bytes.Equal(got.Manifest, want.Manifest) {
		t.Errorf("%s: manifest %q, want %q", what, got.Manifest, want.Manifest)
	}
	if !bytes.Equal(got.ScanReport, want.ScanReport) {
		t.Errorf("%s: scan report %q, want %q", what, got.ScanReport, want.ScanReport)
	}
	if !bytes.Equal(got.Provenance, want.Provenance) {
		t.Errorf("%s: provenance %q, want %q", what, got.Provenance, want.Provenance)
	}
}
