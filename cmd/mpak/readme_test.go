package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/internal/cli"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// TestReadmePackExample: the walkthrough's `mpak bundle pack` output is
// what packing the example gives today (packing is reproducible, so the
// size and digest are exact).
func TestReadmePackExample(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)\\$ mpak bundle pack hack/examples/hello\n(.*?)```").FindSubmatch(readme)
	if block == nil {
		t.Fatal("README.md has no `$ mpak bundle pack hack/examples/hello` example")
	}
	e := isolate(t, registrytest.Distribution(t))
	example, err := filepath.Abs(filepath.Join("..", "..", "hack", "examples", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	p := decode[cli.PackOutput](t, e.ok(t, "bundle", "pack", example, "-o", filepath.Join(t.TempDir(), "hello-1.0.0.mcpb"), "--json"))
	for _, want := range []string{fmt.Sprintf("(%d bytes)", p.Size), "sha256:   " + p.SHA256, "name:     " + p.Name, "version:  " + p.Version} {
		if !strings.Contains(string(block[1]), want) {
			t.Errorf("README's pack example lacks %q; it shows:\n%s", want, block[1])
		}
	}
}

// TestVersionFlag: `mpak --version` answers like `mpak version`.
func TestVersionFlag(t *testing.T) {
	t.Parallel()
	e := isolate(t, "localhost:1")
	flag, cmd := e.ok(t, "--version"), e.ok(t, "version")
	if flag != cmd || !strings.HasPrefix(flag, "mpak ") {
		t.Errorf("mpak --version printed %q, mpak version %q; want the same \"mpak <version>\" line", flag, cmd)
	}
}
