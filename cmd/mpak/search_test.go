package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/internal/cli/trustcmd"
	"github.com/mpak-oci/mpak/registry/api"
	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/server"
)

// mpakdServer runs the whole mpakd (registry + catalog) in-process.
func mpakdServer(t *testing.T) string {
	t.Helper()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "index.db"))
	must(t, err)
	srv, err := server.New(context.Background(), server.Options{Store: store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	must(t, err)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		srv.Shutdown(context.Background())
		store.Close()
	})
	return strings.TrimPrefix(ts.URL, "http://")
}

func TestSearchAndShowThroughMpakd(t *testing.T) {
	t.Parallel()
	host := mpakdServer(t)
	e := isolate(t, host)
	e.publish(t, exampleDir(t, "1.0.0"), "hello")
	e.publish(t, exampleDir(t, "1.1.0"), "hello")
	e.publish(t, clockDir(t, "1.0.0"), "clock")

	res := decode[catalogapi.SearchResponse](t, e.ok(t, "bundle", "search", "greet", "--json"))
	if res.Total != 1 || res.Bundles[0].Name != "@example/hello" || res.Bundles[0].Version != "1.1.0" {
		t.Fatalf("search greet: %+v", res)
	}
	// Tool names are searchable: the clock declares a tool "now".
	if res := decode[catalogapi.SearchResponse](t, e.ok(t, "bundle", "search", "now", "--json")); res.Total != 1 || res.Bundles[0].Name != "@example/clock" {
		t.Fatalf("search by tool name: %+v", res)
	}
	if res := decode[catalogapi.SearchResponse](t, e.ok(t, "bundle", "search", "--type", "binary", "--json")); res.Total != 1 || res.Bundles[0].ServerType != "binary" {
		t.Fatalf("search --type binary: %+v", res)
	}
	table := e.ok(t, "bundle", "search")
	if !strings.Contains(table, "@example/hello") || !strings.Contains(table, "@example/clock") {
		t.Errorf("search table:\n%s", table)
	}

	show := decode[catalogapi.BundleDetail](t, e.ok(t, "bundle", "show", "@example/hello", "--json"))
	if show.Latest != "1.1.0" || len(show.Versions) != 2 || len(show.Tools) != 2 || show.Reference != host+"/example/hello:1.1.0" {
		t.Fatalf("show: latest %s, %d versions, tools %v, reference %s", show.Latest, len(show.Versions), show.Tools, show.Reference)
	}
	human := e.ok(t, "bundle", "show", "@example/hello")
	if !strings.Contains(human, "Hello MCP") || !strings.Contains(human, "mpak bundle pull "+host+"/example/hello:1.1.0") {
		t.Errorf("show output:\n%s", human)
	}
	if _, stderr, code := e.mpak(t, "bundle", "show", "@example/nope"); code == 0 || !strings.Contains(stderr, "NOT_FOUND") {
		t.Errorf("show of an unknown bundle: exit %d, %q", code, stderr)
	}
}

// TestShowProvenanceThroughMpakd: after mpak bundle sign and attest, show
// prints who signed and the attested source, as mpakd indexed them.
func TestShowProvenanceThroughMpakd(t *testing.T) {
	t.Parallel()
	host := mpakdServer(t)
	e := isolate(t, host)
	e["COSIGN_PASSWORD"] = "s3cret"
	e.publish(t, exampleDir(t, "1.0.0"), "hello")
	dir := t.TempDir()
	if human := e.ok(t, "bundle", "show", "@example/hello"); strings.Contains(human, "Signed") {
		t.Errorf("an unsigned bundle shows signers:\n%s", human)
	}
	e.ok(t, "bundle", "keygen", "--output-key-prefix", filepath.Join(dir, "cosign"))
	signed := decode[trustcmd.SignOutput](t, e.ok(t, "bundle", "sign", "@example/hello@1.0.0", "--key", filepath.Join(dir, "cosign.key"), "--format", "legacy,bundle", "--json"))
	e.ok(t, "bundle", "attest", "@example/hello", "--key", filepath.Join(dir, "cosign.key"), "--slsa",
		"--source-repo", "https://git.example/example/hello", "--source-revision", "c0ffee", "--builder-id", "https://ci.example/b")

	human := e.ok(t, "bundle", "show", "@example/hello")
	for _, want := range []string{
		"signature   by key " + signed.Signed[0].KeyID + " (sigstore-bundle)",
		"attestation by key " + signed.Signed[0].KeyID + " (sigstore-bundle)",
		"signature   by a key the cosign format does not name (cosign)",
		"source https://git.example/example/hello@c0ffee, builder https://ci.example/b",
	} {
		if !strings.Contains(human, want) {
			t.Errorf("show lacks %q:\n%s", want, human)
		}
	}
	show := decode[catalogapi.BundleDetail](t, e.ok(t, "bundle", "show", "@example/hello", "--json"))
	if p, _ := show.Provenance.Provenance(); p == nil || p.SourceRevision != "c0ffee" {
		t.Errorf("show --json provenance: %+v", show.Provenance)
	}
}

// TestShowYankedAndTampered: show marks yanked versions with their reason
// and tampered ones with a warning and the published digest, in the human
// output and --json, as the catalog has them.
func TestShowYankedAndTampered(t *testing.T) {
	t.Parallel()
	store, err := sqlite.Open(":memory:")
	must(t, err)
	t.Cleanup(func() { store.Close() })
	published := "sha256:" + strings.Repeat("0a", 32)
	moved := "sha256:" + strings.Repeat("0b", 32)
	for _, v := range []catalog.Version{
		{Version: "0.9.0", Digest: published, Tampered: moved},
		{Version: "1.0.0", Digest: "sha256:" + strings.Repeat("10", 32)},
		{Version: "1.1.0", Digest: "sha256:" + strings.Repeat("11", 32), Yanked: true, YankReason: "leaks the API key; use 1.0.0"},
		{Repository: "acme/gone", Version: "2.0.0", Digest: "sha256:" + strings.Repeat("20", 32), Yanked: true, YankReason: "abandoned"},
	} {
		if v.Repository == "" {
			v.Repository = "acme/maps"
		}
		v.Tag, v.Name, v.Description, v.ServerType = v.Version, "maps", "Maps", "node"
		v.Builds = []catalog.Build{{Platform: "any", ManifestDigest: v.Digest, LayerDigest: v.Digest, Size: 1}}
		must(t, store.PutVersion(t.Context(), &v))
	}
	srv := httptest.NewServer(api.New(api.Options{Store: store}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	e := isolate(t, host)
	e[catalogapi.EnvIndexURL] = srv.URL

	show := decode[catalogapi.BundleDetail](t, e.ok(t, "bundle", "show", "@acme/maps", "--json"))
	var marks []string
	for _, v := range show.Versions {
		marks = append(marks, fmt.Sprintf("%s:%v:%s:%s", v.Version, v.Yanked, v.YankReason, v.Tampered))
	}
	if want := []string{"1.1.0:true:leaks the API key; use 1.0.0:", "1.0.0:false::", "0.9.0:false::" + moved}; show.Latest != "1.0.0" || show.Yanked ||
		fmt.Sprint(marks) != fmt.Sprint(want) {
		t.Errorf("show --json: latest %s (yanked %v), versions %v; want 1.0.0, %v", show.Latest, show.Yanked, marks, want)
	}
	human := e.ok(t, "bundle", "show", "@acme/maps")
	for _, want := range []string{
		"@acme/maps 1.0.0\n  Maps\n  type: node",
		"yanked: leaks the API key; use 1.0.0\n",
		"warning: tag 0.9.0 was moved outside mpakd to " + moved + "; mpakd serves this version by digest only: pin " + published + "\n",
		"pull: mpak bundle pull " + host + "/acme/maps:1.0.0\n",
	} {
		if !strings.Contains(human, want) {
			t.Errorf("show lacks %q:\n%s", want, human)
		}
	}
	// The marks follow the version they belong to.
	if i, j := strings.Index(human, "  1.1.0 "), strings.Index(human, "yanked: leaks"); i < 0 || j < i || strings.Contains(human[i:j], "  1.0.0 ") {
		t.Errorf("the yank reason is not under 1.1.0:\n%s", human)
	}
	if i, j := strings.Index(human, "  0.9.0 "), strings.Index(human, "warning: tag 0.9.0"); i < 0 || j < i {
		t.Errorf("the warning is not under 0.9.0:\n%s", human)
	}

	// Every version yanked: the latest is, and says so.
	gone := decode[catalogapi.BundleDetail](t, e.ok(t, "bundle", "show", "@acme/gone", "--json"))
	if gone.Version != "2.0.0" || !gone.Yanked || gone.YankReason != "abandoned" {
		t.Errorf("show --json of an all-yanked bundle: %s yanked %v %q", gone.Version, gone.Yanked, gone.YankReason)
	}
	if human := e.ok(t, "bundle", "show", "@acme/gone"); !strings.Contains(human, "@acme/gone 2.0.0\n  Maps\n  yanked: abandoned\n") {
		t.Errorf("show of an all-yanked bundle:\n%s", human)
	}

	// A tampered latest: the reference pins the published digest.
	moved1 := catalog.Version{Repository: "acme/moved", Version: "1.0.0", Tag: "1.0.0", Digest: published, Tampered: moved,
		Name: "moved", Description: "Moved", ServerType: "node"}
	must(t, store.PutVersion(t.Context(), &moved1))
	human = e.ok(t, "bundle", "show", "@acme/moved")
	for _, want := range []string{"  warning: tag 1.0.0 was moved outside mpakd to " + moved, "pull: mpak bundle pull " + host + "/acme/moved@" + published} {
		if !strings.Contains(human, want) {
			t.Errorf("show of a tampered latest lacks %q:\n%s", want, human)
		}
	}
}
