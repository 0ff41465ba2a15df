package stats

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
)

// The crash tests run the test binary again as a helper process: a real
// mpakd-like process with its own Counter, killed with SIGKILL, so that
// nothing deferred runs and only what reached the kernel survives.
const (
	envHelper = "MPAK_STATS_TEST_HELPER" // record | sealed | added: where to stop
	envDB     = "MPAK_STATS_TEST_DB"
	envWAL    = "MPAK_STATS_TEST_WAL"
	envN      = "MPAK_STATS_TEST_N"
)

// TestHelperProcess is not a test: it is the body of the helper processes.
func TestHelperProcess(t *testing.T) {
	stop := os.Getenv(envHelper)
	if stop == "" {
		return
	}
	if err := runHelper(stop); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runHelper records N downloads (alternating platforms), each Record having
// returned, then says so on stdout and blocks until killed: right away
// (stop "record"), or at the flush stage named stop, which may be reached
// already in Open, settling what an earlier process left.
func runHelper(stop string) error {
	n, err := strconv.Atoi(os.Getenv(envN))
	if err != nil {
		return err
	}
	store, err := sqlite.Open(os.Getenv(envDB))
	if err != nil {
		return err
	}
	block := func() {
		fmt.Println(stop) // the parent kills this process once it reads this
		select {}
	}
	testHook = func(stage string) {
		if stage == stop {
			block()
		}
	}
	ctx := context.Background()
	c, err := Open(ctx, Options{Store: store, WALPath: os.Getenv(envWAL), FlushInterval: time.Hour})
	if err != nil {
		return err
	}
	for i := range n {
		layer := linuxLayer
		if i%2 == 1 {
			layer = darwinLayer
		}
		c.Record(ctx, fixtureRepo, layer)
	}
	if c.Pending() != n {
		return fmt.Errorf("helper: Pending() = %d after %d Records", c.Pending(), n)
	}
	if stop == "record" {
		block()
	}
	err = c.Flush(ctx)
	return fmt.Errorf("helper: Flush returned (%v) instead of stopping at %q", err, stop)
}

// killAt starts a helper that records n downloads and kills it with SIGKILL
// where stop says.
func killAt(t *testing.T, stop, db, wal string, n int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), envHelper+"="+stop, envDB+"="+db, envWAL+"="+wal, envN+"="+strconv.Itoa(n))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case got := <-line:
		if got != stop {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("helper said %q, want %q; stderr:\n%s", got, stop, stderr.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper did not reach %q within 60s; stderr:\n%s", stop, stderr.String())
	}
	must(t, cmd.Process.Kill()) // SIGKILL
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("helper exited with %v, want killed; stderr:\n%s", err, stderr.String())
	}
}

// TestKilled kills a process that has recorded 500 downloads, at each point
// that matters, and checks that a new Counter on the same log and database
// ends with exactly 500: none lost, none counted twice.
func TestKilled(t *testing.T) {
	const n = 500
	for _, tc := range []struct {
		stop string
		// inStore is what the Store holds when the process dies.
		inStore int64
		// sealed is how many sealed batches it leaves.
		sealed int
	}{
		{stop: "record", inStore: 0, sealed: 0},    // all in the active log
		{stop: stageSealed, inStore: 0, sealed: 1}, // sealed, not yet added
		{stop: stageAdded, inStore: n, sealed: 1},  // added, batch file not yet deleted
	} {
		t.Run(tc.stop, func(t *testing.T) {
			dir := t.TempDir()
			db, wal := filepath.Join(dir, "index.db"), filepath.Join(dir, "downloads.wal")
			setup := openStore(t, db)
			putFixture(t, setup)
			must(t, setup.Close())

			killAt(t, tc.stop, db, wal, n)

			store := openStore(t, db)
			if got := total(t, store, fixtureRepo); got != tc.inStore {
				t.Fatalf("the killed process left %d downloads in the store, want %d", got, tc.inStore)
			}
			if got := len(batchFiles(t, wal)); got != tc.sealed {
				t.Fatalf("the killed process left %d sealed batches, want %d", got, tc.sealed)
			}
			// Open settles what the dead process left.
			c, _ := openCounter(t, Options{Store: store, WALPath: wal})
			wantPending(t, c, 0)
			if bs := batchFiles(t, wal); len(bs) != 0 {
				t.Errorf("sealed batches left after Open: %v", bs)
			}
			wantStats(t, store, fixtureRepo, n, map[string]int64{fixtureVersion: n}, map[string]int64{linux: n / 2, darwin: n / 2})
			must(t, c.Flush(context.Background()))
			wantStats(t, store, fixtureRepo, n, nil, nil)
		})
	}
}

// TestKilledTwice kills a process mid-flush, then kills the next one while
// it settles the batch left behind: after adding it under its own name,
// before deleting it. A third process must still end with each download
// counted once.
func TestKilledTwice(t *testing.T) {
	const n = 100
	dir := t.TempDir()
	db, wal := filepath.Join(dir, "index.db"), filepath.Join(dir, "downloads.wal")
	setup := openStore(t, db)
	putFixture(t, setup)
	must(t, setup.Close())

	killAt(t, stageSealed, db, wal, n) // leaves a sealed batch of n, not in the store
	first := batchFiles(t, wal)
	killAt(t, stageAdded, db, wal, n) // stops in Open, having added that batch
	second := batchFiles(t, wal)
	if len(first) != 1 || len(second) != 1 || first[0].id == second[0].id || second[0].seq != 1 {
		t.Fatalf("sealed batches %v, then %v: want one, then the same adopted by the second process as its batch 1", first, second)
	}

	store := openStore(t, db)
	if got := total(t, store, fixtureRepo); got != n {
		t.Fatalf("store holds %d downloads after two killed processes, want %d", got, n)
	}
	c, _ := openCounter(t, Options{Store: store, WALPath: wal})
	wantPending(t, c, 0)
	if bs := batchFiles(t, wal); len(bs) != 0 {
		t.Errorf("sealed batches left after Open: %v", bs)
	}
	wantStats(t, store, fixtureRepo, n, nil, nil)
}
