package cache

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
)

var ctx = context.Background()

// testBundle is a real packed bundle and the tree it was packed from.
type testBundle struct {
	path   string
	data   []byte
	digest digest.Digest
	src    string
}

// writeBundle packs a small real bundle. extra goes into server/data.txt so
// that bundles of one version can differ.
func writeBundle(t testing.TB, name, version, extra string) testBundle {
	t.Helper()
	dir := t.TempDir()
	mcpbtest.WriteSource(t, dir, name, version, map[string]string{"server/data.txt": extra})
	out := filepath.Join(t.TempDir(), name+"-"+version+".mcpb")
	if _, err := mcpb.PackFile(dir, out, mcpb.PackOptions{}); err != nil {
		t.Fatalf("pack: %v", err)
	}
	data, err := os.ReadFile(out)
	must(t, err)
	return testBundle{path: out, data: data, digest: digest.FromBytes(data), src: dir}
}

// fetchBytes is a fetch function serving data.
func fetchBytes(data []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(data))
		return err
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func openCache(t testing.TB) *Cache {
	t.Helper()
	c, err := Open(filepath.Join(t.TempDir(), "cache"))
	must(t, err)
	return c
}

func install(t testing.TB, c *Cache, b testBundle, meta Meta) *Entry {
	t.Helper()
	e, err := c.Install(ctx, b.digest, meta, fetchBytes(b.data))
	if err != nil {
		t.Fatalf("Install: %v", err)
	}
	return e
}

// checkTree fails unless dir holds exactly the files of the packed tree src,
// with their content and executable bits.
func checkTree(t testing.TB, src, dir string) {
	t.Helper()
	var want, got []string
	for _, side := range []struct {
		root string
		out  *[]string
	}{{src, &want}, {dir, &got}} {
		must(t, filepath.WalkDir(side.root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(side.root, p)
			*side.out = append(*side.out, fmt.Sprintf("%s %v %q", filepath.ToSlash(rel), fi.Mode().Perm()&0o100 != 0, data))
			return nil
		}))
	}
	if fmt.Sprint(want) != fmt.Sprint(got) {
		t.Fatalf("extracted tree differs from the source\n got: %v\nwant: %v", got, want)
	}
}

// tempItems lists what is left under the cache's tmp/.
func tempItems(t testing.TB, c *Cache) []string {
	t.Helper()
	items, err := os.ReadDir(filepath.Join(c.Dir(), tmpDir))
	if os.IsNotExist(err) {
		return nil
	}
	must(t, err)
	var names []string
	for _, it := range items {
		names = append(names, it.Name())
	}
	return names
}
