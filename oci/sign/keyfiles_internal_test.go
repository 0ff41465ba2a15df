package sign

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeygenExclusiveCreate: should a link appear after the checks, the
// O_EXCL create still refuses it.
func TestKeygenExclusiveCreate(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	link := filepath.Join(dir, "k.key")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	err := writeKeyFile(link, []byte("secret"), 0o600, false)
	if err == nil || !strings.Contains(err.Error(), "is a symlink") {
		t.Errorf("writeKeyFile over a dangling link: %v", err)
	}
	if _, err := os.Lstat(victim); !os.IsNotExist(err) {
		t.Errorf("writeKeyFile created the link's target (%v)", err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("writeKeyFile removed the link it refused: %v, %v", fi, err)
	}
}
