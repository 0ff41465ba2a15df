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
	return goBuild(t, t.TempDir(), pkg)
}

// Mpak builds the mpak CLI with its companion mpak-trust beside it (the
// signing, verification and scanning commands), as make build lays them
// out, and returns mpak's path.
func Mpak(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	goBuild(t, dir, "github.com/mpak-oci/mpak/cmd/mpak-trust")
	return goBuild(t, dir, "github.com/mpak-oci/mpak/cmd/mpak")
}

func goBuild(t testing.TB, dir, pkg string) string {
	t.Helper()
	bin := filepath.Join(dir, path.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}
