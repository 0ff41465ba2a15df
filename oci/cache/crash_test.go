package cache

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestKilledInstall kills a process in the middle of a download and checks
// that nothing it left is trusted, that a later install works, and that
// Prune collects the leftovers only once they are old enough to be
// abandoned.
func TestKilledInstall(t *testing.T) {
	c := openCache(t)
	b := writeBundle(t, "srv", "1.0.0", "crash")
	barrier := t.TempDir()
	cmd := helper(t, "hang", envRoot+"="+c.Dir(), envBundle+"="+b.path, envBarrier+"="+barrier)
	must(t, cmd.Start())
	ready := filepath.Join(barrier, "ready")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("helper never reached the middle of its download")
		}
	}
	must(t, cmd.Process.Kill()) // SIGKILL: no deferred cleanup runs
	cmd.Wait()

	if _, ok := c.Lookup(b.digest); ok {
		t.Fatal("Lookup trusts a killed install")
	}
	left := tempItems(t, c)
	if len(left) != 1 {
		t.Fatalf("tmp/ = %v, want the killed install's work directory", left)
	}
	work := filepath.Join(c.Dir(), tmpDir, left[0])
	part, err := os.Stat(filepath.Join(work, "bundle.mcpb"))
	if err != nil || part.Size() != int64(len(b.data)/2) {
		t.Fatalf("partial download: %v, %v; want %d bytes", part, err, len(b.data)/2)
	}

	// The leftover is young: another process could still be installing.
	if _, freed, err := c.Prune(PruneOptions{}); err != nil || freed != 0 {
		t.Fatalf("Prune of a young leftover: freed %d, %v", freed, err)
	}
	if _, err := os.Stat(work); err != nil {
		t.Fatalf("Prune removed a work directory younger than an hour: %v", err)
	}

	e := install(t, c, b, Meta{})
	checkTree(t, b.src, e.Dir)

	old := time.Now().Add(-2 * time.Hour)
	must(t, os.Chtimes(filepath.Join(work, "bundle.mcpb"), old, old))
	must(t, os.Chtimes(work, old, old))
	removed, freed, err := c.Prune(PruneOptions{UnusedFor: 24 * time.Hour})
	must(t, err)
	if len(removed) != 0 || freed != part.Size() {
		t.Errorf("Prune: removed %v, freed %d; want only the %d-byte leftover", removed, freed, part.Size())
	}
	if items := tempItems(t, c); len(items) != 0 {
		t.Errorf("tmp/ after Prune: %v", items)
	}
	if _, ok := c.Lookup(b.digest); !ok {
		t.Error("Prune removed the fresh entry")
	}
}
