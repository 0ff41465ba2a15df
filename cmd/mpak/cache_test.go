package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCachePruneReportsLeftovers: prune reports the leftovers of killed
// installs with their size, a dry run leaves them, and any other command
// that opens the cache removes them.
func TestCachePruneReportsLeftovers(t *testing.T) {
	t.Parallel()
	e := isolate(t, "localhost:1")
	tmp := filepath.Join(e["MPAK_CACHE"], "tmp")
	// What a killed install leaves: its download, and the owner file it
	// wrote under a lock that died with it.
	leftover := func(name string) string {
		t.Helper()
		dir := filepath.Join(tmp, name)
		must(t, os.MkdirAll(dir, 0o700))
		must(t, os.WriteFile(filepath.Join(dir, ".owner"), []byte("4242 2026-01-01T00:00:00Z\n"), 0o600))
		must(t, os.WriteFile(filepath.Join(dir, "bundle.mcpb"), make([]byte, 3000), 0o600))
		return dir
	}
	dir := leftover("install-0123456789ab-1")

	out := e.ok(t, "cache", "prune", "--dry-run")
	if !strings.Contains(out, "would remove 1 leftover of interrupted installs, 3.0 KiB (3026 bytes)") ||
		!strings.Contains(out, "would free 3.0 KiB (3026 bytes)") {
		t.Errorf("prune --dry-run said:\n%s", out)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("a dry run removed the leftover: %v", err)
	}
	out = e.ok(t, "cache", "prune")
	if !strings.Contains(out, "removed 0 bundles, 0 B") || !strings.Contains(out, "removed 1 leftover of interrupted installs, 3.0 KiB (3026 bytes)") ||
		!strings.Contains(out, "freed 3.0 KiB (3026 bytes)") {
		t.Errorf("prune said:\n%s", out)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("prune left the leftover (%v)", err)
	}

	dir = leftover("install-0123456789ab-2")
	e.ok(t, "cache", "ls")
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("opening the cache left a dead install (%v)", err)
	}
}
