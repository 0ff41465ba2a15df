package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/registry/catalog"
)

func TestBundleDetail(t *testing.T) {
	f := defaultFixture(t)
	var d catalogapi.BundleDetail
	f.getJSON(t, "/v1/bundles/@acme/weather", http.StatusOK, &d)

	// The latest is the highest release, not the higher prerelease.
	if d.Latest != "1.1.0" || d.Version != "1.1.0" || d.Reference != testHost+"/acme/weather:1.1.0" {
		t.Errorf("latest %q, version %q, reference %q; want 1.1.0 in full", d.Latest, d.Version, d.Reference)
	}
	if d.Name != "@acme/weather" || d.Repository != "acme/weather" || d.Description != longDescription ||
		d.ServerType != "node" || !d.Signed || d.Level != 2 || d.License != "MIT" {
		t.Errorf("detail fields wrong: %+v", d.VersionDetail)
	}
	if len(d.Tools) != 2 || d.Tools[0] != (catalogapi.Tool{Name: "weather_get", Description: "Get weather"}) {
		t.Errorf("tools %+v", d.Tools)
	}
	if d.Manifest["name"] != "weather" || d.Manifest["version"] != "1.1.0" {
		t.Errorf("manifest %v, want manifest.json as published", d.Manifest)
	}
	if d.Annotations["org.opencontainers.image.created"] != "2026-01-02T03:04:05Z" {
		t.Errorf("annotations %v", d.Annotations)
	}

	// Every version, highest first, with its own downloads.
	var got []string
	for _, v := range d.Versions {
		got = append(got, fmt.Sprintf("%s:%d:%v:%v", v.Version, v.Downloads, v.Prerelease, v.Platforms))
	}
	want := []string{
		"2.0.0-rc.1:0:true:[linux/amd64 darwin/arm64]",
		"1.1.0:7:false:[linux/amd64 darwin/any any]",
		"1.0.0:7:false:[any]",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("versions\n got %v\nwant %v", got, want)
	}
	// On the wire "downloads" is the bundle's total (BundleDetail's field
	// shadows the latest version's).
	if d.Downloads != 14 {
		t.Errorf("downloads %d, want the total 14", d.Downloads)
	}

	// 90 days ending today, oldest first, every day present; the download
	// 200 days ago is outside.
	if len(d.DownloadsDaily) != 90 {
		t.Fatalf("%d daily points, want 90", len(d.DownloadsDaily))
	}
	if first, last := d.DownloadsDaily[0].Day, d.DownloadsDaily[89].Day; first != "2025-12-16" || last != "2026-03-15" {
		t.Errorf("series from %s to %s, want 2025-12-16 to 2026-03-15", first, last)
	}
	counts := map[string]int64{}
	var sum int64
	for _, p := range d.DownloadsDaily {
		if p.Count != 0 {
			counts[p.Day] = p.Count
		}
		sum += p.Count
	}
	if want := map[string]int64{"2026-03-15": 5, "2026-03-14": 2, "2026-03-05": 3}; fmt.Sprint(counts) != fmt.Sprint(want) || sum != 10 {
		t.Errorf("daily counts %v (sum %d), want %v", counts, sum, want)
	}

	// Builds of the latest, each with its own count and series, although
	// the version has several builds and other versions were downloaded.
	wantBuilds := map[string]struct {
		total int64
		last2 [2]int64 // yesterday, today
	}{"linux/amd64": {5, [2]int64{0, 5}}, "darwin/any": {0, [2]int64{0, 0}}, "any": {2, [2]int64{2, 0}}}
	for _, b := range d.Builds {
		w, ok := wantBuilds[b.Platform]
		if !ok {
			t.Errorf("unexpected build %s", b.Platform)
			continue
		}
		if b.Downloads != w.total || len(b.DownloadsDaily) != 90 ||
			[2]int64{b.DownloadsDaily[88].Count, b.DownloadsDaily[89].Count} != w.last2 {
			t.Errorf("build %s: %d downloads, series %v; want %d ending %v", b.Platform, b.Downloads, b.DownloadsDaily, w.total, w.last2)
		}
	}

	// A version's own series: 1.0.0's download 200 days ago is outside it.
	var v catalogapi.VersionDetail
	f.getJSON(t, "/v1/bundles/@acme/weather/versions/1.0.0", http.StatusOK, &v)
	var vsum int64
	for _, p := range v.DownloadsDaily {
		vsum += p.Count
	}
	if v.Downloads != 7 || len(v.DownloadsDaily) != 90 || vsum != 3 || v.DownloadsDaily[79].Count != 3 {
		t.Errorf("1.0.0: %d downloads, %d in its 90-day series (%d points); want 7 and 3, ten days ago", v.Downloads, vsum, len(v.DownloadsDaily))
	}
}

func TestBundleOnlyPrereleases(t *testing.T) {
	f := newFixture(t, Options{PublicHost: testHost}, []catalog.Version{
		version("acme/beta", "0.1.0-alpha.1", "node", "Beta", "any"),
		version("acme/beta", "0.1.0-alpha.2", "node", "Beta", "any"),
	}, nil)
	var d catalogapi.BundleDetail
	f.getJSON(t, "/v1/bundles/@acme/beta", http.StatusOK, &d)
	if d.Latest != "0.1.0-alpha.2" || !d.Prerelease {
		t.Errorf("latest %q, want the highest prerelease when there is no release", d.Latest)
	}
	if d.Downloads != 0 || len(d.DownloadsDaily) != 90 {
		t.Errorf("never downloaded: downloads %d, %d daily points; want 0 and 90 zero points", d.Downloads, len(d.DownloadsDaily))
	}
}

func TestVersions(t *testing.T) {
	f := defaultFixture(t)
	var vs catalogapi.VersionsResponse
	f.getJSON(t, "/v1/bundles/@acme/weather/versions", http.StatusOK, &vs)
	if vs.Name != "@acme/weather" || vs.Latest != "1.1.0" || len(vs.Versions) != 3 || vs.Versions[0].Version != "2.0.0-rc.1" {
		t.Errorf("versions: %+v", vs)
	}
	if vs.Versions[2].Digest != digestOf("index acme/weather@1.0.0") {
		t.Errorf("version digest %s, want the index digest", vs.Versions[2].Digest)
	}
	f.wantError(t, "/v1/bundles/@acme/nothing/versions", http.StatusNotFound, codeNotFound, "@acme/nothing")
}

func TestVersionDetail(t *testing.T) {
	f := defaultFixture(t)
	var d catalogapi.VersionDetail
	f.getJSON(t, "/v1/bundles/@acme/weather/versions/2.0.0-rc.1", http.StatusOK, &d)
	if d.Version != "2.0.0-rc.1" || !d.Prerelease || d.ServerType != "binary" || len(d.Builds) != 2 {
		t.Errorf("2.0.0-rc.1: %+v", d)
	}
	b := d.Builds[0]
	if b.Platform != "linux/amd64" || b.BundleDigest != digestOf("layer acme/weather@2.0.0-rc.1/linux/amd64") ||
		b.ManifestDigest != digestOf("manifest acme/weather@2.0.0-rc.1/linux/amd64") || b.Size == 0 {
		t.Errorf("build %+v", b)
	}

	f.getJSON(t, "/v1/bundles/@acme/weather/versions/latest", http.StatusOK, &d)
	if d.Version != "1.1.0" {
		t.Errorf("latest is %s, want 1.1.0", d.Version)
	}
	f.wantError(t, "/v1/bundles/@acme/weather/versions/9.9.9", http.StatusNotFound, codeNotFound,
		`no version "9.9.9"`, "2.0.0-rc.1, 1.1.0, 1.0.0")
	f.wantError(t, "/v1/bundles/@acme/nothing/versions/1.0.0", http.StatusNotFound, codeNotFound, "@acme/nothing not found")
}

// Per-build counts are given where the store's totals determine them.
func TestBuildDownloads(t *testing.T) {
	// 1.0.0 has one build: its count is the version's.
	f := defaultFixture(t)
	var d catalogapi.VersionDetail
	f.getJSON(t, "/v1/bundles/@acme/weather/versions/1.0.0", http.StatusOK, &d)
	if d.Downloads != 7 || len(d.Builds) != 1 || d.Builds[0].Downloads != 7 {
		t.Errorf("1.0.0: downloads %d, builds %+v; want 7 on its one build", d.Downloads, d.Builds)
	}

	// Every download of the repository is of 1.1.0: the platform split is
	// the version's.
	f = newFixture(t, Options{PublicHost: testHost}, fixtureVersions(), fixtureDownloads()[:2])
	f.getJSON(t, "/v1/bundles/@acme/weather/versions/1.1.0", http.StatusOK, &d)
	got := map[string]int64{}
	for _, b := range d.Builds {
		got[b.Platform] = b.Downloads
	}
	if want := map[string]int64{"linux/amd64": 5, "darwin/any": 0, "any": 2}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("1.1.0 builds %v, want %v", got, want)
	}
}

func TestRepositoryPaths(t *testing.T) {
	f := defaultFixture(t)
	var d catalogapi.BundleDetail
	f.getJSON(t, "/v1/bundles/org/team/tool", http.StatusOK, &d)
	if d.Name != "org/team/tool" || d.Reference != testHost+"/org/team/tool:1.0.0" {
		t.Errorf("org/team/tool: name %q reference %q", d.Name, d.Reference)
	}
	var vs catalogapi.VersionsResponse
	f.getJSON(t, "/v1/bundles/org/team/tool/versions", http.StatusOK, &vs)
	if len(vs.Versions) != 1 || vs.Name != "org/team/tool" {
		t.Errorf("org/team/tool versions: %+v", vs)
	}
	var v catalogapi.VersionDetail
	f.getJSON(t, "/v1/bundles/org/team/tool/versions/1.0.0", http.StatusOK, &v)
	// A repository that has an @-name may also be named by its path, and
	// answers with its @-name; "@" may arrive encoded.
	f.getJSON(t, "/v1/bundles/acme/weather/versions/latest", http.StatusOK, &v)
	if v.Name != "@acme/weather" {
		t.Errorf("acme/weather by path: name %q, want @acme/weather", v.Name)
	}
	f.getJSON(t, "/v1/bundles/%40acme/weather/versions/latest", http.StatusOK, &v)
}

// With a namespace, @scope/name lives under it, as MPAK_REGISTRY=host/ns
// has the client push it; repositories outside keep their paths.
func TestNamespace(t *testing.T) {
	store := newFixture(t, Options{}, []catalog.Version{
		version("mcp/acme/weather", "1.0.0", "node", "Weather", "any"),
		version("other/thing", "1.0.0", "node", "Thing", "any"),
	}, nil).store
	srv := httptest.NewServer(New(Options{Store: store, Namespace: "mcp", PublicHost: "ghcr.io"}))
	defer srv.Close()
	f := &fixture{srv: srv}
	var d catalogapi.BundleDetail
	f.getJSON(t, "/v1/bundles/@acme/weather", http.StatusOK, &d)
	if d.Name != "@acme/weather" || d.Repository != "mcp/acme/weather" || d.Reference != "ghcr.io/mcp/acme/weather:1.0.0" {
		t.Errorf("@acme/weather under mcp: name %q repository %q reference %q", d.Name, d.Repository, d.Reference)
	}
	f.getJSON(t, "/v1/bundles/other/thing", http.StatusOK, &d)
	if d.Name != "other/thing" {
		t.Errorf("other/thing outside the namespace is named %q, want its path", d.Name)
	}
	f.wantError(t, "/v1/bundles/@other/thing", http.StatusNotFound, codeNotFound)
}

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		namespace, repository, display string
	}{
		{"", "acme/weather", "@acme/weather"},
		{"", "weather", "weather"},
		{"", "org/team/tool", "org/team/tool"},
		{"mcp", "mcp/acme/weather", "@acme/weather"},
		{"mcp", "acme/weather", "acme/weather"},
		{"mcp", "mcpx/acme/weather", "mcpx/acme/weather"},
		{"a/b", "a/b/c/d", "@c/d"},
	} {
		n := names{namespace: tc.namespace}
		if got := n.display(tc.repository); got != tc.display {
			t.Errorf("namespace %q: display(%q) = %q, want %q", tc.namespace, tc.repository, got, tc.display)
		}
		if got, err := n.resolve(tc.display); err != nil || got != tc.repository {
			t.Errorf("namespace %q: resolve(%q) = %q, %v; want %q", tc.namespace, tc.display, got, err, tc.repository)
		}
	}
}

func TestParseBundlePath(t *testing.T) {
	for path, want := range map[string]bundleRoute{
		"@acme/weather":                          {name: "@acme/weather", kind: routeDetail},
		"@acme/weather/":                         {name: "@acme/weather", kind: routeDetail},
		"@acme/weather/versions":                 {name: "@acme/weather", kind: routeVersions},
		"@acme/weather/versions/1.0.0":           {name: "@acme/weather", kind: routeVersion, version: "1.0.0"},
		"@acme/weather/versions/latest/download": {name: "@acme/weather", kind: routeDownload, version: "latest"},
		"@acme/weather/badge.svg":                {name: "@acme/weather", kind: routeBadge},
		"@acme/versions/versions":                {name: "@acme/versions", kind: routeVersions},
		"@acme/weather/versions/1.0.0/other":     {name: "@acme/weather"},
		"@acme/weather/readme":                   {name: "@acme/weather"},
		"org/team/tool":                          {name: "org/team/tool", kind: routeDetail},
		"org/team/tool/versions":                 {name: "org/team/tool", kind: routeVersions},
		"org/team/tool/versions/1.0.0":           {name: "org/team/tool", kind: routeVersion, version: "1.0.0"},
		"org/team/tool/versions/1.0.0/download":  {name: "org/team/tool", kind: routeDownload, version: "1.0.0"},
		"org/team/tool/badge.svg":                {name: "org/team/tool", kind: routeBadge},
		"tool":                                   {name: "tool", kind: routeDetail},
	} {
		if got := parseBundlePath(path); got != want {
			t.Errorf("parseBundlePath(%q) = %+v, want %+v", path, got, want)
		}
	}
}
