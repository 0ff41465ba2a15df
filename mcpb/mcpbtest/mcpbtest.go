// Package mcpbtest writes small, real MCP bundles for tests: a valid
// manifest.json, a server entry point and whatever files a test needs,
// packed with the real packer.
package mcpbtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/mpak-oci/mpak/mcpb"
)

// Manifest is a manifest_version 0.3 node server with the fields the OCI
// annotations are made from (description with a non-ASCII rune,
// repository, license, two tools).
func Manifest(name, version string) string {
	return fmt.Sprintf(`{
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
}

// WriteSource writes a bundle directory into dir: manifest.json (Manifest
// unless files holds one), an executable server/index.js, and files (slash
// paths relative to the bundle root).
func WriteSource(tb testing.TB, dir, name, version string, files map[string]string) {
	tb.Helper()
	all := map[string]string{
		"manifest.json":   Manifest(name, version),
		"server/index.js": "console.log('hi')\n",
	}
	for p, body := range files {
		all[p] = body
	}
	for p, body := range all {
		path := filepath.Join(dir, filepath.FromSlash(p))
		mode := os.FileMode(0o644)
		if p == "server/index.js" {
			mode = 0o755
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), mode); err != nil {
			tb.Fatal(err)
		}
	}
}

// Pack writes a source tree with WriteSource and packs it into a temporary
// <name>-<version>.mcpb, returning its path. extra goes into
// server/data.txt, so that builds of one version can differ.
func Pack(tb testing.TB, name, version, extra string) string {
	tb.Helper()
	dir := tb.TempDir()
	WriteSource(tb, dir, name, version, map[string]string{"server/data.txt": extra})
	out := filepath.Join(tb.TempDir(), name+"-"+version+".mcpb")
	if _, err := mcpb.PackFile(dir, out, mcpb.PackOptions{}); err != nil {
		tb.Fatalf("pack %s@%s: %v", name, version, err)
	}
	return out
}
