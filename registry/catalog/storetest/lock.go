package storetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// Lock admits one holder of a key at a time, lets other keys through, and
// gives up when the caller's context ends.
func testLock(t *testing.T, s catalog.Store) {
	key := catalog.VersionLockKey("acme/weather", "1.0.0")
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			unlock, err := s.Lock(ctx(t), key)
			if err != nil {
				t.Errorf("Lock: %v", err)
				return
			}
			n := inside.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(time.Millisecond)
			inside.Add(-1)
			unlock()
		})
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Fatalf("%d holders of one key at once, want 1", most.Load())
	}

	unlock, err := s.Lock(ctx(t), key)
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.Lock(ctx(t), catalog.VersionLockKey("acme/weather", "1.0.1"))
	if err != nil {
		t.Fatalf("another key waited for a held one: %v", err)
	}
	other()
	short, cancel := context.WithTimeout(ctx(t), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Lock(short, key); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Lock of a held key until the context ends = %v, want an error matching context.DeadlineExceeded", err)
	}
	unlock()
	again, err := s.Lock(ctx(t), key)
	if err != nil {
		t.Fatalf("the key stayed held after unlock: %v", err)
	}
	again()
}
