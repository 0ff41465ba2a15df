package bundle_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/oci/mcpb"
	"github.com/mpak-oci/mpak/oci/ref"
	mremote "github.com/mpak-oci/mpak/oci/remote"
)

// writeBundle packs a small real bundle and returns its path. extra is
// written to server/data.txt so builds of one version can differ.
func writeBundle(t testing.TB, name, version, extra string) string {
	t.Helper()
	dir := t.TempDir()
	manifest := fmt.Sprintf(`{
  "manifest_version": "0.3",
  "name": %q,
  "version": %q,
  "description": "test server \u00e9",
  "author": {"name": "Test Author", "email": "t@example.com"},
  "repository": {"type": "git", "url": "https://example.com/src.git"},
  "license": "MIT",
  "server": {"type": "node", "entry_point": "server/index.js",
    "mcp_config": {"command": "node", "args": ["${__dirname}/server/index.js"]}},
  "tools": [{"name": "echo", "description": "Echo"}, {"name": "add"}]
}`, name, version)
	must(t, os.MkdirAll(filepath.Join(dir, "server"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(manifest), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "server", "index.js"), []byte("console.log('hi')\n"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "server", "data.txt"), []byte(extra), 0o644))
	out := filepath.Join(t.TempDir(), name+"-"+version+".mcpb")
	if _, err := mcpb.PackFile(dir, out, mcpb.PackOptions{}); err != nil {
		t.Fatalf("pack: %v", err)
	}
	return out
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
	repo, err := mremote.Options{}.Repository(r)
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
