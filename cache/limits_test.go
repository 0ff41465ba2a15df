package cache

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/mpak-oci/mpak/mcpb"
)

// TestInstallRefusesSplitBomb: 600 entries of 1 MiB of zeros, each under
// the per-entry ratio floor, are refused as a whole before anything is
// extracted, and the error tells how to raise the limit.
func TestInstallRefusesSplitBomb(t *testing.T) {
	t.Parallel() // the cache reads no MPAK_ARCHIVE_LIMITS: limits come in Options
	zeros := make([]byte, 1<<20)
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw.Write(zeros)
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create(mcpb.ManifestFile)
	fmt.Fprint(w, `{"manifest_version":"0.3","name":"bomb","version":"1.0.0","description":"d","author":{"name":"a"},"server":{"type":"node","entry_point":"x.js","mcp_config":{"command":"node"}}}`)
	for i := range 600 {
		w, err := zw.CreateRaw(&zip.FileHeader{Name: fmt.Sprintf("pad/%03d.bin", i), Method: zip.Deflate,
			CRC32: crc32.ChecksumIEEE(zeros), CompressedSize64: uint64(comp.Len()), UncompressedSize64: uint64(len(zeros))})
		must(t, err)
		w.Write(comp.Bytes())
	}
	must(t, zw.Close())
	bomb := buf.Bytes()
	d := digest.FromBytes(bomb)

	c := openCache(t)
	_, err := c.Install(ctx, d, Meta{}, fetchBytes(bomb))
	if err == nil || !strings.Contains(err.Error(), "limit for a whole archive") || !strings.Contains(err.Error(), mcpb.EnvLimits+"=ratio=") {
		t.Fatalf("Install of a %d-byte split bomb: %v", len(bomb), err)
	}
	if _, ok := c.Lookup(d); ok {
		t.Error("the bomb was published")
	}
	if left := tempItems(t, c); len(left) != 0 {
		t.Errorf("tmp/ after a refused install: %v", left)
	}
	if _, err := os.Stat(filepath.Join(c.Dir(), bundlesDir)); !os.IsNotExist(err) {
		t.Errorf("bundles/ exists after a refused install (%v)", err)
	}
}
