package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeygenPlantedSymlink: a link planted where keygen writes must not
// redirect the key, with or without --force.
func TestKeygenPlantedSymlink(t *testing.T) {
	e := isolate(t, "localhost:1")
	e["COSIGN_PASSWORD"] = "s3cret"
	dir := t.TempDir()
	elsewhere := t.TempDir()
	t.Chdir(dir) // keygen writes into the working directory: this test stays serial

	victim := filepath.Join(elsewhere, "victim")
	const victimText = "the user's own file\n"
	if err := os.WriteFile(victim, []byte(victimText), 0o644); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(elsewhere, "created-by-keygen")
	untouched := func(when string) {
		t.Helper()
		if b, err := os.ReadFile(victim); err != nil || string(b) != victimText {
			t.Errorf("%s: the link's target was written: %q, %v", when, b, err)
		}
		if _, err := os.Lstat(dangling); !os.IsNotExist(err) {
			t.Errorf("%s: keygen created the dangling link's target (%v)", when, err)
		}
	}

	// A link to an existing file, and one to a file that does not exist
	// yet: os.Stat reports the latter as free, the old hole.
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink(victim, "cosign.key"))
	must(os.Symlink(dangling, "cosign.pub"))
	_, errOut, code := e.mpak(t, "bundle", "keygen")
	if code == 0 || !strings.Contains(errOut, "cosign.key exists and is a symlink to "+victim) || !strings.Contains(errOut, "--force") {
		t.Errorf("keygen over a planted link: exit %d, %q; want a refusal naming the link and --force", code, errOut)
	}
	untouched("without --force")

	must(os.Remove("cosign.key"))
	_, errOut, code = e.mpak(t, "bundle", "keygen")
	if code == 0 || !strings.Contains(errOut, "cosign.pub exists and is a symlink to "+dangling) {
		t.Errorf("keygen over a dangling link: exit %d, %q; want a refusal naming the link", code, errOut)
	}
	if _, err := os.Lstat("cosign.key"); !os.IsNotExist(err) {
		t.Errorf("a refused keygen left cosign.key behind (%v)", err)
	}
	untouched("dangling, without --force")

	// --force replaces the links themselves.
	must(os.Symlink(victim, "cosign.key"))
	e.ok(t, "bundle", "keygen", "--force")
	untouched("with --force")
	for f, perm := range map[string]os.FileMode{"cosign.key": 0o600, "cosign.pub": 0o644} {
		fi, err := os.Lstat(f)
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != perm {
			t.Errorf("%s after --force: %v, %v; want a regular file with mode %v", f, fi.Mode(), err, perm)
		}
	}
	key, _ := os.ReadFile("cosign.key")
	if !strings.Contains(string(key), "ENCRYPTED SIGSTORE PRIVATE KEY") {
		t.Errorf("cosign.key does not hold a cosign private key:\n%s", key)
	}
	if left, _ := filepath.Glob(".cosign*"); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// TestKeygenExistingFile: a plain file is refused and kept without --force
// and replaced with it.
func TestKeygenExistingFile(t *testing.T) {
	e := isolate(t, "localhost:1")
	e["COSIGN_PASSWORD"] = ""
	t.Chdir(t.TempDir()) // keygen writes into the working directory: this test stays serial
	const old = "an older public key\n"
	if err := os.WriteFile("cosign.pub", []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := e.mpak(t, "bundle", "keygen")
	if code == 0 || !strings.Contains(errOut, "cosign.pub exists: move it away or pass --force") {
		t.Errorf("keygen over a file: exit %d, %q", code, errOut)
	}
	if b, _ := os.ReadFile("cosign.pub"); string(b) != old {
		t.Errorf("a refused keygen changed cosign.pub: %q", b)
	}
	if _, err := os.Lstat("cosign.key"); !os.IsNotExist(err) {
		t.Errorf("a refused keygen wrote cosign.key (%v)", err)
	}
	e.ok(t, "bundle", "keygen", "--force")
	if b, _ := os.ReadFile("cosign.pub"); !strings.Contains(string(b), "PUBLIC KEY") {
		t.Errorf("--force did not replace cosign.pub: %q", b)
	}
}
