package bundle_test

import (
	"context"
	"testing"

	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
)

// writeBundle packs a small real bundle and returns its path. extra is
// written to server/data.txt so builds of one version can differ.
func writeBundle(t testing.TB, name, version, extra string) string {
	return mcpbtest.Pack(t, name, version, extra)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// repository opens host/path the way the CLI does.
func repository(t testing.TB, host, path string) *remote.Repository {
	t.Helper()
	r, err := ref.Parse(host+"/"+path, ref.Defaults{})
	must(t, err)
	repo, err := connect.Options{}.Repository(r)
	must(t, err)
	return repo
}

func sha256File(t testing.TB, path string) string {
	t.Helper()
	a, err := mcpb.Open(path, mcpb.OpenOptions{})
	must(t, err)
	defer a.Close()
	return a.SHA256
}

var ctx = context.Background()
