package cli

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// inherits are the library files allowed to read the environment, and
// why.
var inherits = map[string]string{
	// exec(2) needs the environment spelled out for a child to inherit
	// it, as os/exec does when Cmd.Env is nil.
	"launch/exec_unix.go": "inherit",
}

// TestLibrariesReadNoEnvironment: below the command line, settings come
// in as options. A library that reads os.Getenv behaves differently in
// each test that sets a variable, which keeps tests from running in
// parallel and callers from knowing what they configured.
func TestLibrariesReadNoEnvironment(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	// Everything but the command lines, their tools and the tests of
	// the whole product is a library: the facade at the root, trust,
	// oci/..., mcpb, launch, registry/..., and whatever is added later.
	commandLine := map[string]bool{"cmd": true, "internal": true, "hack": true, "compat": true, ".git": true}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if commandLine[rel] || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		if strings.Contains(rel, "test/") { // test helpers: pgtest, storetest, registrytest, ...
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "os" {
				switch sel.Sel.Name {
				case "Getenv", "LookupEnv", "Environ", "ExpandEnv", "Setenv":
					if inherits[rel] == "" {
						t.Errorf("%s: os.%s in a library: take the value as an option and read it in internal/cli", fset.Position(sel.Pos()), sel.Sel.Name)
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
