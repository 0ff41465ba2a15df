//go:build unix

package mcpb

import (
	"io"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestPackRejectsNonRegularFiles(t *testing.T) {
	t.Parallel()
	dir := bundleDir(t, nil, nil)
	if err := syscall.Mkfifo(filepath.Join(dir, "server", "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Pack(dir, io.Discard, PackOptions{})
	if err == nil || !strings.Contains(err.Error(), "server/pipe: not a regular file") || !strings.Contains(err.Error(), "add it to .mcpbignore") {
		t.Fatalf("got %v", err)
	}
	writeTree(t, dir, map[string]string{".mcpbignore": "pipe"})
	if _, err := Pack(dir, io.Discard, PackOptions{}); err != nil {
		t.Errorf("ignored pipe: %v", err)
	}
}
