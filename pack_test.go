package mpak_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak"
	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
)

// source writes a bundle source tree whose manifest.json has replace
// applied (old, new pairs).
func source(t *testing.T, replace ...string) string {
	t.Helper()
	dir := t.TempDir()
	m := strings.NewReplacer(replace...).Replace(mcpbtest.Manifest("weather", "1.2.0"))
	mcpbtest.WriteSource(t, dir, "weather", "1.2.0", map[string]string{"manifest.json": m})
	return dir
}

// TestPack: the default file name comes from the manifest and the
// platform; a strict pack refuses a manifest's warnings before writing and
// removes a file whose warnings only packing found.
func TestPack(t *testing.T) {
	t.Parallel()
	wd := t.TempDir()
	linux, _ := mediatypes.ParsePlatform("linux/amd64")
	out := filepath.Join(wd, "w.mcpb")
	p, err := mpak.Pack(source(t), mpak.PackOptions{Output: out, Platform: linux})
	if err != nil {
		t.Fatal(err)
	}
	if p.Path != out || p.Platform != linux || p.Manifest.Name != "weather" || len(p.Warnings) != 0 {
		t.Errorf("pack: %s %v %+v", p.Path, p.Platform, p.PackResult)
	}
	if any, err := mpak.Pack(source(t), mpak.PackOptions{Output: filepath.Join(wd, "any.mcpb")}); err != nil || any.Platform != mediatypes.AnyPlatform {
		t.Errorf("pack without a platform: %+v, %v; want platform-independent", any, err)
	}

	// A javascript: link draws a warning from manifest.json alone.
	hostile := source(t, "https://example.com/src.git", "javascript:alert(1)")
	lenient, err := mpak.Pack(hostile, mpak.PackOptions{Output: filepath.Join(wd, "lenient.mcpb")})
	if err != nil || len(lenient.Warnings) == 0 {
		t.Fatalf("pack with a javascript: link: %+v, %v; want it packed with a warning", lenient, err)
	}
	var refused *mpak.WarningsError
	strictOut := filepath.Join(wd, "strict.mcpb")
	if _, err := mpak.Pack(hostile, mpak.PackOptions{Output: strictOut, Strict: true}); !errors.As(err, &refused) || refused.Removed != "" ||
		!strings.Contains(err.Error(), "not packing") {
		t.Errorf("strict pack with a javascript: link: %v, want a WarningsError before writing", err)
	}
	// How far the files compress shows only once packed: 33 MiB of zeros
	// expand more than readers accept by default.
	bomb := source(t)
	f, err := os.Create(filepath.Join(bomb, "server", "zeros.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(33 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := mpak.Pack(bomb, mpak.PackOptions{Output: strictOut, Strict: true}); !errors.As(err, &refused) || refused.Removed != strictOut ||
		!strings.Contains(err.Error(), "expands from") {
		t.Errorf("strict pack of a bundle that expands too much: %v, want a WarningsError naming the ratio and the removed file", err)
	}
	if _, err := os.Stat(strictOut); !os.IsNotExist(err) {
		t.Errorf("a refused strict pack left %s (%v)", strictOut, err)
	}
}
