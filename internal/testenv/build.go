package testenv

import (
	"os/exec"
	"path"
	"path/filepath"
	"testing"
)

// GoBuild compiles the main package pkg (an import path) into t's
// temporary directory and returns the binary's path, for tests that run
// the real CLI as users do. The build cache makes repeated builds cheap.
func GoBuild(t testing.TB, pkg string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), path.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}
