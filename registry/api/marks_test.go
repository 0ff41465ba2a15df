package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/registry/catalog"
)

// Yanked and tampered versions, as the indexer marks them.
const (
	mapsReason = "leaks the API key in logs; use 1.0.0"
	goneReason = "abandoned: use @acme/maps"
)

// movedTo is the digest a tampered version's tag was found on.
var movedTo = digestOf("someone else's bytes")

// markedVersions adds to the fixture:
//
//   - acme/maps: 0.9.0 tampered, 1.0.0, 1.1.0 yanked, so the latest (1.0.0)
//     is neither the highest version nor the highest release;
//   - acme/gone: 1.0.0 yanked and tampered (with a reason too long for the
//     MCP Registry's status message), 1.1.0 yanked: every version is
//     yanked, so the latest is the highest yanked one.
func markedVersions() []catalog.Version {
	m0 := version("acme/maps", "0.9.0", "node", "Maps", "any")
	m0.Tampered = movedTo
	m1 := version("acme/maps", "1.0.0", "node", "Maps", "any")
	m2 := version("acme/maps", "1.1.0", "node", "Maps", "any")
	m2.Yanked, m2.YankReason = true, mapsReason
	g0 := version("acme/gone", "1.0.0", "node", "Gone", "any")
	g0.Yanked, g0.YankReason, g0.Tampered = true, strings.Repeat("very long reason ", 40), movedTo
	g1 := version("acme/gone", "1.1.0", "node", "Gone", "any")
	g1.Yanked, g1.YankReason = true, goneReason
	return []catalog.Version{m0, m1, m2, g0, g1}
}

func markedFixture(t *testing.T) *fixture {
	return newFixture(t, Options{PublicHost: testHost}, append(fixtureVersions(), markedVersions()...), fixtureDownloads())
}

// marks renders a version list as "version[:yanked=reason][:tampered=digest]".
func marks(vs []catalogapi.VersionSummary) []string {
	var out []string
	for _, v := range vs {
		out = append(out, mark(v.Version, v.Yanked, v.YankReason, v.Tampered))
	}
	return out
}

func mark(version string, yanked bool, reason, tampered string) string {
	s := version
	if yanked {
		s += ":yanked=" + reason
	}
	if tampered != "" {
		s += ":tampered=" + tampered
	}
	return s
}

func TestYankedAndTamperedInJSONAPI(t *testing.T) {
	f := markedFixture(t)
	want := []string{"1.1.0:yanked=" + mapsReason, "1.0.0", "0.9.0:tampered=" + movedTo}

	var d catalogapi.BundleDetail
	f.getJSON(t, "/v1/bundles/@acme/maps", http.StatusOK, &d)
	if d.Latest != "1.0.0" || d.Version != "1.0.0" || d.Yanked || d.Tampered != "" {
		t.Errorf("bundle: latest %s, version %s, yanked %v, tampered %q; want 1.0.0, the highest release not yanked", d.Latest, d.Version, d.Yanked, d.Tampered)
	}
	if got := marks(d.Versions); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("bundle versions\n got %v\nwant %v", got, want)
	}
	var l catalogapi.VersionsResponse
	f.getJSON(t, "/v1/bundles/@acme/maps/versions", http.StatusOK, &l)
	if got := marks(l.Versions); l.Latest != "1.0.0" || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("versions: latest %s, %v; want 1.0.0, %v", l.Latest, got, want)
	}

	for path, want := range map[string]string{
		"/v1/bundles/@acme/maps/versions/latest": "1.0.0",
		"/v1/bundles/@acme/maps/versions/1.1.0":  "1.1.0:yanked=" + mapsReason,
		"/v1/bundles/@acme/maps/versions/0.9.0":  "0.9.0:tampered=" + movedTo,
		"/v1/bundles/@acme/gone/versions/latest": "1.1.0:yanked=" + goneReason,
	} {
		var v catalogapi.VersionDetail
		f.getJSON(t, path, http.StatusOK, &v)
		if got := mark(v.Version, v.Yanked, v.YankReason, v.Tampered); got != want {
			t.Errorf("%s: %s, want %s", path, got, want)
		}
	}

	// A tampered version's reference pins what was published: its tag is
	// refused, and names other bytes.
	var v catalogapi.VersionDetail
	f.getJSON(t, "/v1/bundles/@acme/maps/versions/0.9.0", http.StatusOK, &v)
	if want := testHost + "/acme/maps@" + digestOf("index acme/maps@0.9.0"); v.Reference != want || v.Digest != digestOf("index acme/maps@0.9.0") {
		t.Errorf("tampered reference %s digest %s, want %s and the published digest", v.Reference, v.Digest, want)
	}

	// On the wire: yanked always, yank_reason and tampered only when set.
	_, body := f.get(t, "/v1/bundles/@acme/maps/versions")
	var raw struct {
		Versions []map[string]any `json:"versions"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, v := range raw.Versions {
		_, hasReason := v["yank_reason"]
		_, hasTampered := v["tampered"]
		yanked, isBool := v["yanked"].(bool)
		if !isBool || hasReason != yanked || hasTampered != (v["version"] == "0.9.0") {
			t.Errorf("version %v on the wire: yanked %v, yank_reason present %v, tampered present %v", v["version"], v["yanked"], hasReason, hasTampered)
		}
	}

	// Search shows each bundle's latest with its marks.
	var s catalogapi.SearchResponse
	f.getJSON(t, "/v1/bundles/search?sort=name", http.StatusOK, &s)
	hits := map[string]string{}
	for _, b := range s.Bundles {
		hits[b.Name] = mark(b.Version, b.Yanked, b.YankReason, b.Tampered)
	}
	if hits["@acme/maps"] != "1.0.0" || hits["@acme/gone"] != "1.1.0:yanked="+goneReason {
		t.Errorf("search hits %v: want @acme/maps 1.0.0 unmarked, @acme/gone 1.1.0 yanked", hits)
	}
}

// The API's latest is the store's Bundle.Latest, whatever is yanked:
// /versions/latest, the bundle's latest and the search hit agree with it.
func TestLatestFollowsStore(t *testing.T) {
	for name, tc := range map[string]struct {
		versions []string // "!" marks a yanked one
		want     string
	}{
		"highest release":                 {[]string{"1.0.0", "1.1.0", "2.0.0-rc.1"}, "1.1.0"},
		"yanked release skipped":          {[]string{"1.0.0", "!1.1.0", "2.0.0-rc.1"}, "1.0.0"},
		"prerelease over yanked releases": {[]string{"!1.0.0", "!1.1.0", "2.0.0-rc.1"}, "2.0.0-rc.1"},
		"all yanked: highest release":     {[]string{"!1.0.0", "!1.1.0", "!2.0.0-rc.1"}, "1.1.0"},
		"all yanked prereleases":          {[]string{"!1.0.0-a", "!1.0.0-b"}, "1.0.0-b"},
		"yanked prerelease skipped":       {[]string{"1.0.0-a", "!1.0.0-b"}, "1.0.0-a"},
	} {
		t.Run(name, func(t *testing.T) {
			var vs []catalog.Version
			for _, s := range tc.versions {
				v := version("acme/x", strings.TrimPrefix(s, "!"), "node", "X", "any")
				v.Yanked = strings.HasPrefix(s, "!")
				vs = append(vs, v)
			}
			f := newFixture(t, Options{PublicHost: testHost}, vs, nil)
			b, err := f.store.Bundle(t.Context(), "acme/x")
			if err != nil {
				t.Fatal(err)
			}
			var v catalogapi.VersionDetail
			f.getJSON(t, "/v1/bundles/@acme/x/versions/latest", http.StatusOK, &v)
			var d catalogapi.BundleDetail
			f.getJSON(t, "/v1/bundles/@acme/x", http.StatusOK, &d)
			var s catalogapi.SearchResponse
			f.getJSON(t, "/v1/bundles/search?q=x", http.StatusOK, &s)
			if b.Latest.Version != tc.want || v.Version != tc.want || d.Latest != tc.want || len(s.Bundles) != 1 || s.Bundles[0].Version != tc.want {
				t.Errorf("store latest %s, /versions/latest %s, bundle latest %s, search %+v; want %s",
					b.Latest.Version, v.Version, d.Latest, s.Bundles, tc.want)
			}
		})
	}
}

func TestDownloadTampered(t *testing.T) {
	f := markedFixture(t)
	published := digestOf("index acme/maps@0.9.0")
	for _, path := range []string{
		"/v1/bundles/@acme/maps/versions/0.9.0/download?format=json",
		"/v1/bundles/@acme/maps/versions/0.9.0/download",
	} {
		resp, body := f.get(t, path)
		var e catalogapi.Error
		if err := json.Unmarshal(body, &e); err != nil || resp.StatusCode != http.StatusConflict || resp.Header.Get("Location") != "" {
			t.Errorf("%s: status %d, Location %q, body %s; want 409 and no redirect", path, resp.StatusCode, resp.Header.Get("Location"), body)
			continue
		}
		for _, want := range []string{"published as " + published, "now names " + movedTo, "bypassed mpakd", "digest only",
			"mpak bundle pull " + testHost + "/acme/maps@" + published} {
			if !strings.Contains(e.Err.Message, want) {
				t.Errorf("%s: message %q lacks %q", path, e.Err.Message, want)
			}
		}
		if e.Err.Code != codeTampered {
			t.Errorf("%s: code %q, want %q", path, e.Err.Code, codeTampered)
		}
	}
	// Its neighbours download as before.
	if resp, _ := f.get(t, "/v1/bundles/@acme/maps/versions/1.0.0/download"); resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Warning") != "" {
		t.Errorf("1.0.0: status %d Warning %q, want a plain redirect", resp.StatusCode, resp.Header.Get("Warning"))
	}
}

func TestDownloadYanked(t *testing.T) {
	f := markedFixture(t)
	warning := `299 - "yanked: ` + mapsReason + `"`
	var d catalogapi.Download
	resp, body := f.get(t, "/v1/bundles/@acme/maps/versions/1.1.0/download?format=json")
	if err := json.Unmarshal(body, &d); err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Warning") != warning ||
		d.Version != "1.1.0" || !d.Yanked || d.YankReason != mapsReason || d.Digest != digestOf("layer acme/maps@1.1.0/any") {
		t.Errorf("JSON download of the yanked version: %d, Warning %q, %s", resp.StatusCode, resp.Header.Get("Warning"), body)
	}
	resp, _ = f.get(t, "/v1/bundles/@acme/maps/versions/1.1.0/download")
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != "/v2/acme/maps/blobs/"+digestOf("layer acme/maps@1.1.0/any") ||
		resp.Header.Get("Warning") != warning {
		t.Errorf("redirect of the yanked version: %d to %q, Warning %q", resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Warning"))
	}
}

func TestYankWarning(t *testing.T) {
	for reason, want := range map[string]string{
		"":                     `299 - "yanked"`,
		"use 1.0.1":            `299 - "yanked: use 1.0.1"`,
		`say "no" \ maybe`:     `299 - "yanked: say \"no\" \\ maybe"`,
		"naïve\r\nX-Evil: yes": `299 - "yanked: na?ve??X-Evil: yes"`,
	} {
		if got := yankWarning(reason); got != want {
			t.Errorf("yankWarning(%q) = %s, want %s", reason, got, want)
		}
	}
}

// The MCP Registry API says what the catalog marks in the official
// _meta: yanked and tampered versions are deprecated, with why.
func TestServerStatus(t *testing.T) {
	f := markedFixture(t)
	var l serverList
	f.getJSON(t, "/v0.1/servers/com.example.registry.acme%2Fmaps/versions", http.StatusOK, &l)
	got := map[string]officialMeta{}
	files := map[string]string{}
	for _, s := range l.Servers {
		got[s.Server.Version] = s.Meta.Official
		files[s.Server.Version] = s.Server.Packages[0].Identifier
	}
	if s := got["1.0.0"]; s.Status != statusActive || s.StatusMessage != "" || !s.IsLatest {
		t.Errorf("1.0.0: %+v, want active and the latest", s)
	}
	if s := got["1.1.0"]; s.Status != statusDeprecated || s.StatusMessage != "yanked by the publisher: "+mapsReason || s.IsLatest {
		t.Errorf("1.1.0: %+v, want deprecated with the yank reason, not the latest", s)
	}
	s := got["0.9.0"]
	if s.Status != statusDeprecated || s.IsLatest {
		t.Errorf("0.9.0: %+v, want deprecated", s)
	}
	for _, want := range []string{"tag 0.9.0 was moved", movedTo, "only by its published digest " + digestOf("index acme/maps@0.9.0")} {
		if !strings.Contains(s.StatusMessage, want) {
			t.Errorf("0.9.0: status message %q lacks %q", s.StatusMessage, want)
		}
	}
	// The tampered version's file is still the published one, by digest.
	if want := "https://" + testHost + "/v2/acme/maps/blobs/" + digestOf("layer acme/maps@0.9.0/any"); files["0.9.0"] != want {
		t.Errorf("files %v: want the tampered version's published layer %s", files, want)
	}

	var one serverResponse
	f.getJSON(t, "/v0.1/servers/com.example.registry.acme%2Fmaps/versions/latest", http.StatusOK, &one)
	if one.Server.Version != "1.0.0" || !one.Meta.Official.IsLatest {
		t.Errorf("versions/latest: %s %+v, want 1.0.0, not the yanked 1.1.0", one.Server.Version, one.Meta.Official)
	}
	f.getJSON(t, "/v0.1/servers/com.example.registry.acme%2Fgone/versions/latest", http.StatusOK, &one)
	if one.Server.Version != "1.1.0" || !one.Meta.Official.IsLatest || one.Meta.Official.Status != statusDeprecated {
		t.Errorf("latest of an all-yanked server: %s %+v, want 1.1.0, deprecated", one.Server.Version, one.Meta.Official)
	}
	var latest serverList
	f.getJSON(t, "/v0.1/servers?version=latest&search=registry.acme/", http.StatusOK, &latest)
	var names []string
	for _, s := range latest.Servers {
		names = append(names, s.Server.Name+"@"+s.Server.Version+"/"+s.Meta.Official.Status)
	}
	if want := []string{"com.example.registry.acme/gone@1.1.0/deprecated", "com.example.registry.acme/maps@1.0.0/active",
		weatherServer + "@1.1.0/active"}; fmt.Sprint(names) != fmt.Sprint(want) {
		t.Errorf("version=latest: %v, want %v", names, want)
	}
}
