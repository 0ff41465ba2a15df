package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/oci/catalog"
	"github.com/mpak-oci/mpak/registry/index/sqlite"
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
	host := mpakdServer(t)
	isolate(t, host)
	publish(t, exampleDir(t, "1.0.0"), "hello")
	publish(t, exampleDir(t, "1.1.0"), "hello")
	publish(t, clockDir(t, "1.0.0"), "clock")

	res := decode[catalog.SearchResponse](t, ok(t, "bundle", "search", "greet", "--json"))
	if res.Total != 1 || res.Bundles[0].Name != "@example/hello" || res.Bundles[0].Version != "1.1.0" {
		t.Fatalf("search greet: %+v", res)
	}
	// Tool names are searchable: the clock declares a tool "now".
	if res := decode[catalog.SearchResponse](t, ok(t, "bundle", "search", "now", "--json")); res.Total != 1 || res.Bundles[0].Name != "@example/clock" {
		t.Fatalf("search by tool name: %+v", res)
	}
	if res := decode[catalog.SearchResponse](t, ok(t, "bundle", "search", "--type", "binary", "--json")); res.Total != 1 || res.Bundles[0].ServerType != "binary" {
		t.Fatalf("search --type binary: %+v", res)
	}
	table := ok(t, "bundle", "search")
	if !strings.Contains(table, "@example/hello") || !strings.Contains(table, "@example/clock") {
		t.Errorf("search table:\n%s", table)
	}

	show := decode[catalog.BundleDetail](t, ok(t, "bundle", "show", "@example/hello", "--json"))
	if show.Latest != "1.1.0" || len(show.Versions) != 2 || len(show.Tools) != 2 || show.Reference != host+"/example/hello:1.1.0" {
		t.Fatalf("show: latest %s, %d versions, tools %v, reference %s", show.Latest, len(show.Versions), show.Tools, show.Reference)
	}
	human := ok(t, "bundle", "show", "@example/hello")
	if !strings.Contains(human, "Hello MCP") || !strings.Contains(human, "mpak bundle pull "+host+"/example/hello:1.1.0") {
		t.Errorf("show output:\n%s", human)
	}
	if _, stderr, code := mpak(t, "bundle", "show", "@example/nope"); code == 0 || !strings.Contains(stderr, "NOT_FOUND") {
		t.Errorf("show of an unknown bundle: exit %d, %q", code, stderr)
	}
}

// TestShowProvenanceThroughMpakd: after mpak bundle sign and attest, show
// prints who signed and the attested source, as mpakd indexed them.
func TestShowProvenanceThroughMpakd(t *testing.T) {
	host := mpakdServer(t)
	isolate(t, host)
	t.Setenv("COSIGN_PASSWORD", "s3cret")
	publish(t, exampleDir(t, "1.0.0"), "hello")
	t.Chdir(t.TempDir())
	if human := ok(t, "bundle", "show", "@example/hello"); strings.Contains(human, "Signed") {
		t.Errorf("an unsigned bundle shows signers:\n%s", human)
	}
	ok(t, "bundle", "keygen")
	signed := decode[signOutput](t, ok(t, "bundle", "sign", "@example/hello@1.0.0", "--key", "cosign.key", "--json"))
	ok(t, "bundle", "attest", "@example/hello", "--key", "cosign.key", "--slsa",
		"--source-repo", "https://git.example/example/hello", "--source-revision", "c0ffee", "--builder-id", "https://ci.example/b")

	human := ok(t, "bundle", "show", "@example/hello")
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
	show := decode[catalog.BundleDetail](t, ok(t, "bundle", "show", "@example/hello", "--json"))
	if p, _ := show.Provenance.Provenance(); p == nil || p.SourceRevision != "c0ffee" {
		t.Errorf("show --json provenance: %+v", show.Provenance)
	}
}
