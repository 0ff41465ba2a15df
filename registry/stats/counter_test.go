package stats

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// TestConcurrentRecords records from 8 goroutines while the flusher seals
// and adds the log every millisecond, so appends race the file swap.
func TestConcurrentRecords(t *testing.T) {
	const goroutines, each = 8, 200
	store := openStore(t, "")
	putFixture(t, store)
	c, _ := openCounter(t, Options{Store: store, FlushInterval: time.Millisecond})
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			layer := linuxLayer
			if g%2 == 1 {
				layer = darwinLayer
			}
			for range each {
				c.Record(context.Background(), fixtureRepo, layer)
			}
		})
	}
	wg.Wait()
	must(t, c.Flush(context.Background()))
	wantPending(t, c, 0)
	wantStats(t, store, fixtureRepo, goroutines*each,
		map[string]int64{fixtureVersion: goroutines * each},
		map[string]int64{linux: goroutines * each / 2, darwin: goroutines * each / 2})
}

// TestUnknownLayersAreNotCounted: blobs the Store does not know as bundle
// layers are not written to the log at all.
func TestUnknownLayersAreNotCounted(t *testing.T) {
	store := openStore(t, "")
	putFixture(t, store)
	c, _ := openCounter(t, Options{Store: store})
	c.Record(context.Background(), fixtureRepo, "sha256:"+strings.Repeat("0", 64))
	c.Record(context.Background(), "acme/other", linuxLayer) // right digest, wrong repository
	wantPending(t, c, 0)
	if fi, err := os.Stat(c.wal.path); err != nil || fi.Size() != 0 {
		t.Errorf("log after unknown blobs: %v, %v; want empty", fi, err)
	}
}

// TestStoreOutage: while the Store is down, Record does not wait for it
// and logs downloads unresolved, and flushes fail and keep them; once it is
// back, they are attributed and added once.
func TestStoreOutage(t *testing.T) {
	store := &flakyStore{Store: openStore(t, "")}
	putFixture(t, store)
	clk := newClock(day1)
	c, logs := openCounter(t, Options{Store: store, Now: clk.Now})
	c.Record(context.Background(), fixtureRepo, linuxLayer) // cached while up

	store.down.Store(true)
	start := time.Now()
	for range 3 {
		c.Record(context.Background(), fixtureRepo, darwinLayer)
	}
	c.Record(context.Background(), fixtureRepo, linuxLayer)
	if d := time.Since(start); d > lookupTimeout {
		t.Errorf("4 Records with the Store down took %v, over the %v lookup timeout", d, lookupTimeout)
	}
	wantPending(t, c, 5)
	if err := c.Flush(context.Background()); err == nil {
		t.Fatal("Flush with the Store down succeeded")
	}
	wantPending(t, c, 5)
	if !strings.Contains(logs.String(), "resolving a downloaded layer failed") {
		t.Errorf("the failed lookup was not logged:\n%s", logs)
	}

	store.down.Store(false)
	must(t, c.Flush(context.Background()))
	wantPending(t, c, 0)
	wantStats(t, store, fixtureRepo, 5, nil, map[string]int64{linux: 2, darwin: 3}, catalog.DayCount{Day: catalog.Day(day1), Count: 5})
}

// TestAmbiguousCommit: AddDownloads committed but reported an error (a
// connection lost after COMMIT). The next flush must find the batch in the
// Store by its marker instead of adding it again.
func TestAmbiguousCommit(t *testing.T) {
	store := &flakyStore{Store: openStore(t, "")}
	putFixture(t, store)
	c, _ := openCounter(t, Options{Store: store})
	for range 7 {
		c.Record(context.Background(), fixtureRepo, linuxLayer)
	}
	store.lying.Store(true)
	if err := c.Flush(context.Background()); err == nil {
		t.Fatal("Flush succeeded although AddDownloads reported an error")
	}
	store.lying.Store(false)
	wantStats(t, store, fixtureRepo, 7, nil, nil)
	if bs := batchFiles(t, c.wal.path); len(bs) != 1 {
		t.Fatalf("sealed batches %v, want the one whose outcome is unknown", bs)
	}

	c.Record(context.Background(), fixtureRepo, darwinLayer)
	must(t, c.Flush(context.Background()))
	wantPending(t, c, 0)
	wantStats(t, store, fixtureRepo, 8, nil, map[string]int64{linux: 7, darwin: 1})
	if bs := batchFiles(t, c.wal.path); len(bs) != 0 {
		t.Errorf("sealed batches left: %v", bs)
	}
}

// TestDamagedLog: a log whose last line was cut (a power loss during a
// write) loses that line only; the next append starts a line of its own.
func TestDamagedLog(t *testing.T) {
	store := &flakyStore{Store: openStore(t, "")}
	putFixture(t, store)
	wal := filepath.Join(t.TempDir(), "downloads.wal")
	good := (&record{Day: "2026-03-04", Repository: fixtureRepo, Version: fixtureVersion, Platform: linux}).encode()
	unresolved := (&record{Day: "2026-03-04", Repository: fixtureRepo, Digest: darwinLayer}).encode()
	torn := good[:len(good)/2]
	must(t, os.WriteFile(wal, []byte(string(good)+string(unresolved)+"not json\n"+string(good)+string(torn)), 0o644))
	// A batch an earlier process sealed: settling it needs the Store, so
	// while the Store is down no flush gets as far as sealing the log, and
	// the next Record appends right after the torn line.
	must(t, os.WriteFile(batchPath(wal, "earlier", 3), good, 0o644))

	store.down.Store(true)
	c, logs := openCounter(t, Options{Store: store, WALPath: wal, Now: newClock(day1).Now})
	wantPending(t, c, 6)
	c.Record(context.Background(), fixtureRepo, linuxLayer) // Store down: logged unresolved
	wantPending(t, c, 7)
	store.down.Store(false)
	must(t, c.Flush(context.Background()))
	wantPending(t, c, 0)
	// The earlier batch's line, 2 good + 1 unresolved, and the new one;
	// the torn and the garbage lines are skipped, and the new record
	// survived the torn one.
	wantStats(t, store, fixtureRepo, 5, nil, map[string]int64{linux: 4, darwin: 1})
	if !strings.Contains(logs.String(), "skipping damaged lines") || !strings.Contains(logs.String(), "lines=2") {
		t.Errorf("damaged lines not reported as 2:\n%s", logs)
	}
}

// TestOneCounterPerLog: a second Counter on a log in use is refused with
// the fix in the message.
func TestOneCounterPerLog(t *testing.T) {
	store := openStore(t, "")
	c, _ := openCounter(t, Options{Store: store})
	_, err := Open(context.Background(), Options{Store: store, WALPath: c.wal.path})
	if err == nil || !strings.Contains(err.Error(), "locked by another process") || !strings.Contains(err.Error(), "own data directory") {
		t.Fatalf("second Open: %v", err)
	}
}

func TestOptionErrors(t *testing.T) {
	store := openStore(t, "")
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{WALPath: filepath.Join(t.TempDir(), "w")}, "Options.Store is nil"},
		{Options{Store: store}, "Options.WALPath is empty"},
	} {
		if _, err := Open(context.Background(), tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%+v) = %v, want an error about %q", tc.opts, err, tc.want)
		}
	}
}

// TestCloseFlushes: Close adds what is pending, and a Counter reopened on
// the log finds nothing left to add.
func TestCloseFlushes(t *testing.T) {
	store := openStore(t, "")
	putFixture(t, store)
	wal := filepath.Join(t.TempDir(), "downloads.wal")
	logs := &logBuffer{}
	c, err := Open(context.Background(), Options{Store: store, WALPath: wal, FlushInterval: time.Hour,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	must(t, err)
	for range 3 {
		c.Record(context.Background(), fixtureRepo, linuxLayer)
	}
	must(t, c.Close())
	must(t, c.Close()) // idempotent
	wantStats(t, store, fixtureRepo, 3, nil, nil)
	c.Record(context.Background(), fixtureRepo, linuxLayer) // after Close: dropped, not a panic
	if !strings.Contains(logs.String(), "after Close are not counted") {
		t.Errorf("a Record after Close was not reported:\n%s", logs)
	}
	c2, _ := openCounter(t, Options{Store: store, WALPath: wal})
	wantPending(t, c2, 0)
	must(t, c2.Flush(context.Background()))
	wantStats(t, store, fixtureRepo, 3, nil, nil)
}

// TestFlusher: the background flusher adds downloads without a Flush call.
func TestFlusher(t *testing.T) {
	store := openStore(t, "")
	putFixture(t, store)
	c, _ := openCounter(t, Options{Store: store, FlushInterval: 10 * time.Millisecond})
	c.Record(context.Background(), fixtureRepo, darwinLayer)
	// The store sees the count when the batch commits; Pending drops a
	// moment later, once the batch file is gone: wait for both.
	for deadline := time.Now().Add(10 * time.Second); total(t, store, fixtureRepo) != 1 || c.Pending() != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the flusher did not add the download within 10s (total %d, Pending %d)", total(t, store, fixtureRepo), c.Pending())
		}
	}
}

func TestRetryInterval(t *testing.T) {
	for failures, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		if got := retryInterval(time.Second, failures); got != want {
			t.Errorf("retryInterval(1s, %d) = %v, want %v", failures, got, want)
		}
	}
	if got := retryInterval(time.Second, 100); got != maxRetryInterval {
		t.Errorf("retryInterval after 100 failures = %v, want %v", got, maxRetryInterval)
	}
}
