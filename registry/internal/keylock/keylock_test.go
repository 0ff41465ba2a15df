package keylock

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMutualExclusion(t *testing.T) {
	var l Locks
	var inside, max atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			unlock, err := l.Lock(t.Context(), "acme/hello:1.0.0")
			if err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			for {
				m := max.Load()
				if n <= m || max.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(100 * time.Microsecond)
			inside.Add(-1)
			unlock()
		})
	}
	wg.Wait()
	if max.Load() != 1 {
		t.Fatalf("%d holders at once, want 1", max.Load())
	}
	if len(l.keys) != 0 {
		t.Fatalf("%d keys left after every holder released", len(l.keys))
	}
}

func TestOtherKeysDoNotWait(t *testing.T) {
	var l Locks
	unlock, err := l.Lock(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	other, err := l.Lock(ctx, "b")
	if err != nil {
		t.Fatalf("key b waited for key a: %v", err)
	}
	other()
}

func TestContextEndsWait(t *testing.T) {
	var l Locks
	unlock, err := l.Lock(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := l.Lock(ctx, "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock of a held key with an ending context = %v, want DeadlineExceeded", err)
	}
	unlock()
	unlock() // twice is harmless
	again, err := l.Lock(t.Context(), "a")
	if err != nil {
		t.Fatalf("the key stayed held after a waiter gave up: %v", err)
	}
	again()
	if len(l.keys) != 0 {
		t.Fatalf("%d keys left", len(l.keys))
	}
}
