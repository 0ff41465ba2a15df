package cache

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startHelper starts a helper process installing b into c in mode and
// waits until it is in the middle of its download.
func startHelper(t *testing.T, c *Cache, b testBundle, mode string) (*exec.Cmd, string) {
	t.Helper()
	barrier := t.TempDir()
	cmd := helper(t, mode, envRoot+"="+c.Dir(), envBundle+"="+b.path, envBarrier+"="+barrier)
	var out strings.Builder
	cmd.Stdout = &out
	must(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	ready := filepath.Join(barrier, "ready")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(ready); err == nil {
			return cmd, barrier
		}
		if time.Now().After(deadline) {
			t.Fatal("helper never reached the middle of its download")
		}
	}
}

// kill stops cmd with SIGKILL: no deferred cleanup runs.
func kill(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	must(t, cmd.Process.Kill())
	cmd.Wait()
}

// TestKilledInstall kills a process in the middle of a download and checks
// that nothing it left is trusted, that Prune reports and removes the
// leftover at once, its owner being provably dead, and that a later
// install works.
func TestKilledInstall(t *testing.T) {
	t.Parallel()
	c := openCache(t)
	b := writeBundle(t, "srv", "1.0.0", "crash")
	cmd, _ := startHelper(t, c, b, "hang")
	kill(t, cmd)

	if _, ok := c.Lookup(b.digest); ok {
		t.Fatal("Lookup trusts a killed install")
	}
	left := tempItems(t, c)
	if len(left) != 1 || !strings.HasPrefix(left[0], "install-") {
		t.Fatalf("tmp/ = %v, want the killed install's work directory", left)
	}
	work := filepath.Join(c.Dir(), tmpDir, left[0])
	part, err := os.Stat(filepath.Join(work, "bundle.mcpb"))
	if err != nil || part.Size() != int64(len(b.data)/2) {
		t.Fatalf("partial download: %v, %v; want %d bytes", part, err, len(b.data)/2)
	}
	if got := probe(work); got != dead {
		t.Fatalf("probe of a killed install = %v, want dead", got)
	}
	owner, _ := os.Stat(filepath.Join(work, ownerFile))
	size := part.Size() + owner.Size()

	r, err := c.Prune(PruneOptions{UnusedFor: 24 * time.Hour, DryRun: true})
	if err != nil || r.Leftovers != 1 || r.LeftoverBytes != size || len(r.Removed) != 0 {
		t.Fatalf("dry run: %+v, %v; want 1 leftover of %d bytes", r, err, size)
	}
	if _, err := os.Stat(work); err != nil {
		t.Fatalf("a dry run removed the leftover: %v", err)
	}
	r, err = c.Prune(PruneOptions{UnusedFor: 24 * time.Hour})
	if err != nil || r.Leftovers != 1 || r.Freed() != size {
		t.Fatalf("Prune: %+v, %v; want 1 leftover of %d bytes freed", r, err, size)
	}
	if items := tempItems(t, c); len(items) != 0 {
		t.Errorf("tmp/ after Prune: %v", items)
	}

	e := install(t, c, b, Meta{})
	checkTree(t, b.src, e.Dir)
}

// TestOpenCollectsKilledInstalls: four installs killed with SIGKILL, as in
// the report, are removed by the next Open, while an install in progress
// in another process survives Open and Prune, however old it looks, and
// then completes.
func TestOpenCollectsKilledInstalls(t *testing.T) {
	t.Parallel()
	c := openCache(t)
	// Incompressible, so that the leftovers have some size.
	noise := make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{1}).Read(noise)
	b := writeBundle(t, "big", "1.0.0", string(noise))

	// The live install starts first: each helper opens the cache, which
	// would collect the dead ones before this test does.
	live, barrier := startHelper(t, c, b, "pause")
	var killed []*exec.Cmd
	for range 4 {
		cmd, _ := startHelper(t, c, b, "hang")
		killed = append(killed, cmd)
	}
	for _, cmd := range killed {
		kill(t, cmd)
	}
	items := tempItems(t, c)
	if len(items) != 5 {
		t.Fatalf("tmp/ = %v, want 4 killed installs and a live one", items)
	}
	var liveDir string
	var leftover int64
	for _, it := range items {
		p := filepath.Join(c.Dir(), tmpDir, it)
		if probe(p) == alive {
			liveDir = p
		} else {
			leftover += diskUsage(p)
		}
	}
	if liveDir == "" {
		t.Fatal("no work directory is owned by the live install")
	}

	start := time.Now()
	if _, err := Open(c.Dir()); err != nil {
		t.Fatal(err)
	}
	t.Logf("Open removed 4 killed installs (%d bytes) in %v", leftover, time.Since(start))
	if items := tempItems(t, c); len(items) != 1 || filepath.Join(c.Dir(), tmpDir, items[0]) != liveDir {
		t.Fatalf("tmp/ after Open = %v, want only the live install %s", items, filepath.Base(liveDir))
	}

	// A live install looks abandoned by age alone; its lock says otherwise.
	old := time.Now().Add(-2 * time.Hour)
	must(t, os.Chtimes(filepath.Join(liveDir, "bundle.mcpb"), old, old))
	must(t, os.Chtimes(liveDir, old, old))
	r, err := c.Prune(PruneOptions{})
	if err != nil || r.Leftovers != 0 {
		t.Fatalf("Prune with a live install: %+v, %v", r, err)
	}
	if _, err := os.Stat(filepath.Join(liveDir, "bundle.mcpb")); err != nil {
		t.Fatalf("Prune removed a live install's download: %v", err)
	}

	must(t, os.WriteFile(filepath.Join(barrier, "go"), nil, 0o644))
	if err := live.Wait(); err != nil {
		t.Fatalf("the live install failed after the sweeps: %v", err)
	}
	e, ok := c.Lookup(b.digest)
	if !ok {
		t.Fatal("the live install did not publish")
	}
	checkTree(t, b.src, e.Dir)
	if items := tempItems(t, c); len(items) != 0 {
		t.Errorf("tmp/ after the live install finished: %v", items)
	}
}

// TestLeftoversWithoutOwner: directories that cannot be proven dead (left
// by versions without owner files, or by a process killed before it took
// its lock) wait an hour, then Prune removes them; Open never does.
func TestLeftoversWithoutOwner(t *testing.T) {
	t.Parallel()
	c := openCache(t)
	tmp, err := c.tempDir()
	must(t, err)
	legacy := filepath.Join(tmp, "install-legacy")
	must(t, os.Mkdir(legacy, 0o700))
	must(t, os.WriteFile(filepath.Join(legacy, "bundle.mcpb"), make([]byte, 1000), 0o600))
	unlocked := filepath.Join(tmp, "install-unlocked")
	must(t, os.Mkdir(unlocked, 0o700))
	must(t, os.WriteFile(filepath.Join(unlocked, ownerFile), nil, 0o600)) // created, never locked
	for _, d := range []string{legacy, unlocked} {
		if got := probe(d); got != unknown {
			t.Errorf("probe(%s) = %v, want unknown", filepath.Base(d), got)
		}
	}

	if _, err := Open(c.Dir()); err != nil {
		t.Fatal(err)
	}
	if r, err := c.Prune(PruneOptions{}); err != nil || r.Leftovers != 0 {
		t.Fatalf("Prune of young leftovers without owner: %+v, %v", r, err)
	}
	old := time.Now().Add(-2 * time.Hour)
	for _, p := range []string{filepath.Join(legacy, "bundle.mcpb"), legacy, filepath.Join(unlocked, ownerFile), unlocked} {
		must(t, os.Chtimes(p, old, old))
	}
	if _, err := Open(c.Dir()); err != nil {
		t.Fatal(err)
	}
	if items := tempItems(t, c); len(items) != 2 {
		t.Fatalf("Open removed leftovers it cannot prove dead: %v left", items)
	}
	r, err := c.Prune(PruneOptions{})
	if err != nil || r.Leftovers != 2 || r.LeftoverBytes != 1000 {
		t.Fatalf("Prune of old leftovers: %+v, %v; want 2 of 1000 bytes", r, err)
	}
}
