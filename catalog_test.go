package mpak_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak"
	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/registrytest"
	"github.com/mpak-oci/mpak/registry/server"
)

// mpakd runs the whole server (embedded registry, catalog, JSON API)
// in-process and returns its host.
func mpakd(t *testing.T) string {
	t.Helper()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(ctx, server.Options{Store: store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		srv.Shutdown(ctx)
		store.Close()
	})
	return strings.TrimPrefix(ts.URL, "http://")
}

// TestSearchShowVersions: what is pushed to an mpakd is found by Search,
// described by Show (the catalog at the default registry, or at
// CatalogURL) and listed by Versions (the registry's tags).
func TestSearchShowVersions(t *testing.T) {
	t.Parallel()
	host := mpakd(t)
	publish(t, host, "1.0.0")
	publish(t, host, "1.1.0")
	c := newClient(t, host, mpak.Options{})

	res, err := c.Search(ctx, catalogapi.Query{Text: "tool"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 1 || res.Bundles[0].Repository != "acme/tool" || res.Bundles[0].Version != "1.1.0" {
		t.Fatalf("search: %+v, want acme/tool at 1.1.0", res)
	}
	if res, err := c.Search(ctx, catalogapi.Query{Text: "tool", Type: "python"}); err != nil || res.Total != 0 {
		t.Errorf("search --type python: %+v, %v; want nothing", res, err)
	}

	b, err := c.Show(ctx, "@acme/tool@1.0.0") // the version is ignored
	if err != nil {
		t.Fatal(err)
	}
	if b.Latest != "1.1.0" || len(b.Versions) != 2 || b.Reference != host+"/acme/tool:1.1.0" {
		t.Errorf("show: latest %s, %d versions, reference %s", b.Latest, len(b.Versions), b.Reference)
	}
	if _, err := c.Show(ctx, "@acme/nope"); err == nil || !strings.Contains(err.Error(), "NOT_FOUND") {
		t.Errorf("show of an unknown bundle: %v, want NOT_FOUND", err)
	}

	// A catalog elsewhere: the client's default registry serves none.
	elsewhere := newClient(t, "localhost:1", mpak.Options{CatalogURL: "http://" + host})
	if res, err := elsewhere.Search(ctx, catalogapi.Query{}); err != nil || res.Total != 1 {
		t.Errorf("search through CatalogURL: %+v, %v", res, err)
	}
	var unreachable *catalogapi.UnreachableError
	if _, err := newClient(t, "localhost:1", mpak.Options{}).Search(ctx, catalogapi.Query{}); !errors.As(err, &unreachable) ||
		unreachable.BaseURL != "http://localhost:1" {
		t.Errorf("search with nothing at the default registry: %v, want an UnreachableError naming http://localhost:1", err)
	}
	// A registry that is no mpakd answers 404 without the API's error body.
	var notCatalog *catalogapi.NotCatalogError
	if _, err := newClient(t, registrytest.Distribution(t), mpak.Options{}).Show(ctx, "@acme/tool"); !errors.As(err, &notCatalog) {
		t.Errorf("show from a plain registry: %v, want a NotCatalogError", err)
	}

	v, err := c.Versions(ctx, "@acme/tool")
	if err != nil {
		t.Fatal(err)
	}
	if v.Ref.RepositoryRef() != host+"/acme/tool" || !slices.Equal(v.Versions, []string{"1.1.0", "1.0.0"}) {
		t.Errorf("versions of %s: %v, want 1.1.0, 1.0.0", v.Ref.RepositoryRef(), v.Versions)
	}
}
