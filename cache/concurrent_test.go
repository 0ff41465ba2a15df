package cache

import (
	"bytes"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

func TestConcurrentInstall(t *testing.T) {
	t.Parallel()
	const n = 8
	c := openCache(t)
	b := writeBundle(t, "srv", "1.0.0", "concurrent")
	var (
		fetches atomic.Int32
		arrived sync.WaitGroup
		wg      sync.WaitGroup
		entries [n]*Entry
		errs    [n]error
	)
	arrived.Add(n)
	for i := range n {
		wg.Go(func() {
			entries[i], errs[i] = c.Install(ctx, b.digest, Meta{}, func(w io.Writer) error {
				fetches.Add(1)
				// Hold every install mid-download until all have started,
				// so that all of them race to publish.
				arrived.Done()
				arrived.Wait()
				_, err := io.Copy(w, bytes.NewReader(b.data))
				return err
			})
		})
	}
	wg.Wait()
	if got := fetches.Load(); got != n {
		t.Fatalf("%d fetches, want %d racing installs", got, n)
	}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("install %d: %v", i, errs[i])
		}
		if entries[i].Dir != entries[0].Dir {
			t.Errorf("install %d returned %s, install 0 %s", i, entries[i].Dir, entries[0].Dir)
		}
	}
	checkTree(t, b.src, entries[0].Dir)
	checkSingleEntry(t, c)
}

func TestConcurrentInstallProcesses(t *testing.T) {
	t.Parallel()
	const n = 4
	c := openCache(t)
	b := writeBundle(t, "srv", "1.0.0", "processes")
	barrier := t.TempDir()
	var outs [n]bytes.Buffer
	var errs [n]bytes.Buffer
	var cmds [n]*exec.Cmd
	for i := range n {
		cmd := helper(t, "install", envRoot+"="+c.Dir(), envBundle+"="+b.path, envBarrier+"="+barrier, envPeers+"="+strconv.Itoa(n))
		cmd.Stdout, cmd.Stderr = &outs[i], &errs[i]
		must(t, cmd.Start())
		cmds[i] = cmd
	}
	for i := range n {
		if err := cmds[i].Wait(); err != nil {
			t.Fatalf("helper %d: %v: %s", i, err, errs[i].String())
		}
	}
	want := filepath.Join(c.entryDir(b.digest), treeDir)
	for i := range n {
		if outs[i].String() != want {
			t.Errorf("helper %d installed at %q, want %q", i, outs[i].String(), want)
		}
	}
	checkTree(t, b.src, want)
	checkSingleEntry(t, c)
}

// checkSingleEntry fails unless the cache holds one entry and no leftovers.
func checkSingleEntry(t *testing.T, c *Cache) {
	t.Helper()
	list, err := c.List()
	must(t, err)
	if len(list) != 1 {
		t.Errorf("List = %d entries, want 1", len(list))
	}
	if items := tempItems(t, c); len(items) != 0 {
		t.Errorf("tmp/ holds leftovers: %v", items)
	}
}
