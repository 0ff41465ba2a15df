package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/registry/catalog"
)

func TestDownloadJSON(t *testing.T) {
	f := defaultFixture(t)
	layer := digestOf("layer acme/weather@1.1.0/linux/amd64")
	want := catalogapi.Download{
		Name: "@acme/weather", Version: "1.1.0", Platform: "linux/amd64", Digest: layer,
		Size: builds("acme/weather", "1.1.0", "linux/amd64")[0].Size,
		URL:  "http://" + testHost + "/v2/acme/weather/blobs/" + layer, Reference: testHost + "/acme/weather:1.1.0",
	}
	var d catalogapi.Download
	f.getJSON(t, "/v1/bundles/@acme/weather/versions/1.1.0/download?os=linux&arch=amd64&format=json", http.StatusOK, &d)
	if d != want {
		t.Errorf("download\n got %+v\nwant %+v", d, want)
	}
	f.getJSON(t, "/v1/bundles/@acme/weather/versions/latest/download?os=linux&arch=amd64", http.StatusOK, &d,
		"Accept: application/json; q=0.9, */*;q=0.1", "X-Forwarded-Proto: https")
	if want.URL = strings.Replace(want.URL, "http:", "https:", 1); d != want {
		t.Errorf("download behind TLS\n got %+v\nwant %+v", d, want)
	}
	f.wantError(t, "/v1/bundles/@acme/weather/versions/1.1.0/download?format=zip", http.StatusBadRequest, codeBadRequest, "format=json")
}

func TestDownloadRedirect(t *testing.T) {
	f := defaultFixture(t)
	for _, accept := range []string{"", "*/*", "text/html,application/xhtml+xml"} {
		resp, _ := f.get(t, "/v1/bundles/@acme/weather/versions/1.0.0/download", "Accept: "+accept)
		want := "/v2/acme/weather/blobs/" + digestOf("layer acme/weather@1.0.0/any")
		if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != want {
			t.Errorf("Accept %q: status %d Location %q, want 307 to %s", accept, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	// Repositories named by path redirect into themselves too.
	resp, _ := f.get(t, "/v1/bundles/org/team/tool/versions/1.0.0/download?os=linux&arch=arm64")
	if want := "/v2/org/team/tool/blobs/" + digestOf("layer org/team/tool@1.0.0/linux/arm64"); resp.Header.Get("Location") != want {
		t.Errorf("org/team/tool: Location %q, want %q", resp.Header.Get("Location"), want)
	}
}

// The build served is the exact platform, else the OS's any-architecture
// build, else the platform-independent one.
func TestDownloadPlatformSelection(t *testing.T) {
	f := defaultFixture(t)
	for query, want := range map[string]string{
		"os=linux&arch=amd64":   "linux/amd64",
		"os=linux&arch=arm64":   "any",
		"os=darwin&arch=arm64":  "darwin/any",
		"os=macos&arch=aarch64": "darwin/any", // MCPB and Node names
		"os=darwin":             "darwin/any",
		"os=linux":              "any",
		"os=win32&arch=x64":     "any",
		"":                      "any",
		"os=any":                "any",
	} {
		var d catalogapi.Download
		f.getJSON(t, "/v1/bundles/@acme/weather/versions/1.1.0/download?format=json&"+query, http.StatusOK, &d)
		if d.Platform != want || d.Digest != digestOf("layer acme/weather@1.1.0/"+want) {
			t.Errorf("%s: platform %s digest %s, want %s", query, d.Platform, d.Digest, want)
		}
	}
}

func TestDownloadNoBuild(t *testing.T) {
	f := defaultFixture(t)
	// 2.0.0-rc.1 has linux/amd64 and darwin/arm64 only.
	f.wantError(t, "/v1/bundles/@acme/weather/versions/2.0.0-rc.1/download?os=windows&arch=amd64", http.StatusNotFound,
		codeNotFound, "no build for windows/amd64", "linux/amd64, darwin/arm64")
	f.wantError(t, "/v1/bundles/@acme/weather/versions/2.0.0-rc.1/download?os=linux", http.StatusNotFound,
		codeNotFound, "no build for linux/any", "linux/amd64, darwin/arm64")
	f.wantError(t, "/v1/bundles/@acme/weather/versions/2.0.0-rc.1/download", http.StatusBadRequest,
		codeBadRequest, "platform-specific builds only (linux/amd64, darwin/arm64)", "?os=")
	f.wantError(t, "/v1/bundles/@acme/weather/versions/1.1.0/download?arch=amd64", http.StatusBadRequest, codeBadRequest, "needs os")
	f.wantError(t, "/v1/bundles/@acme/weather/versions/1.1.0/download?os=linux&arch=a/b", http.StatusBadRequest, codeBadRequest, "os/arch")
	f.wantError(t, "/v1/bundles/@acme/weather/versions/3.0.0/download", http.StatusNotFound, codeNotFound, `no version "3.0.0"`)
}

func TestSelectBuildPrefersFirstOfEqual(t *testing.T) {
	v := &catalog.Version{Version: "1.0.0", Builds: []catalog.Build{{Platform: "any", LayerDigest: "a"}, {Platform: "any", LayerDigest: "b"}}}
	b, err := selectBuild(v, "", "", "x")
	if err != nil || b.LayerDigest != "a" {
		t.Errorf("selectBuild = %+v, %v; want the first of equal builds", b, err)
	}
	v.Builds = nil
	_, err = selectBuild(v, "linux", "amd64", "x")
	if err == nil || !strings.Contains(fmt.Sprint(err), "no build for linux/amd64") {
		t.Errorf("selectBuild without builds: %v", err)
	}
}
