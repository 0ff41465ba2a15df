// Package keylock is a set of mutexes named by strings, for serialising
// work on one key (a repository and tag, a referrers subject) within one
// process while other keys go ahead.
package keylock

import (
	"context"
	"sync"
)

// Locks is a set of named locks. The zero value is ready to use; a key
// costs memory only while it is held or waited for.
type Locks struct {
	mu   sync.Mutex
	keys map[string]*entry
}

type entry struct {
	// token holds one value while the key is free.
	token chan struct{}
	// refs counts the holder and the waiters, so the entry is dropped
	// when nobody needs it.
	refs int
}

// Lock holds key until the returned function is called, waiting for its
// holder to release it or ctx to end.
func (l *Locks) Lock(ctx context.Context, key string) (func(), error) {
	l.mu.Lock()
	if l.keys == nil {
		l.keys = map[string]*entry{}
	}
	e, ok := l.keys[key]
	if !ok {
		e = &entry{token: make(chan struct{}, 1)}
		e.token <- struct{}{}
		l.keys[key] = e
	}
	e.refs++
	l.mu.Unlock()

	select {
	case <-e.token:
	case <-ctx.Done():
		l.release(key, e, false)
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() { once.Do(func() { l.release(key, e, true) }) }, nil
}

func (l *Locks) release(key string, e *entry, held bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if held {
		e.token <- struct{}{}
	}
	e.refs--
	if e.refs == 0 {
		delete(l.keys, key)
	}
}
