// Package testenv is how tests treat what a machine may lack: a CLI, a
// browser, a service. Missing in CI (CI=true, which .ci/run sets, after
// installing everything) is a failure; elsewhere the test skips and says
// loudly what was not tested, so nothing passes silently.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Missing ends t because something it needs is absent: msg says what went
// untested and how to get it.
func Missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
		return
	}
	t.Skip("\n*** " + msg + " ***")
}

// Tool is the path of the first of names found on PATH or in
// $GOPATH/bin (where go install puts CLIs); without any, it ends t with
// Missing(msg).
func Tool(t testing.TB, msg string, names ...string) string {
	t.Helper()
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if gopath, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, name := range names {
			p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", name)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return p
			}
		}
	}
	Missing(t, msg)
	return ""
}
