package stats

import (
	"container/list"
	"sync"
	"time"
)

const (
	// DefaultMaxPerClient is Options.MaxPerClient's default: a handful of
	// downloads per client, repository and version in any hour. Real users
	// rarely pull one version more often (a CI matrix behind one address
	// is the exception, and is still counted up to this many).
	DefaultMaxPerClient = 5
	// limitWindow is the window of Options.MaxPerClient.
	limitWindow = time.Hour
	// limiterSize bounds the clients, repositories and versions remembered.
	// An evicted key starts afresh, so to count more than its share one
	// address would have to make mpakd forget it by pulling this many
	// other versions (or sharing the server with this many clients)
	// within the hour.
	limiterSize = 1 << 16
)

// limitKey is what the limit applies to. version is "@<digest>" for a
// download whose layer could not be resolved in time: the closest known
// stand-in for its version.
type limitKey struct{ client, repository, version string }

// limiter allows at most max events per key in any window: a sliding
// window over the times of the last max events, kept in a bounded LRU.
type limiter struct {
	mu      sync.Mutex
	max     int
	order   *list.List // front: most recently allowed
	entries map[limitKey]*list.Element
	now     func() time.Time
}

type limitEntry struct {
	key   limitKey
	times []time.Time // oldest first, at most max
}

func newLimiter(max int, now func() time.Time) *limiter {
	return &limiter{max: max, order: list.New(), entries: make(map[limitKey]*list.Element), now: now}
}

// allow tells whether an event of k may happen now, and if so notes it.
func (l *limiter) allow(k limitKey) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	el, ok := l.entries[k]
	if !ok {
		el = l.order.PushFront(&limitEntry{key: k, times: make([]time.Time, 0, l.max)})
		l.entries[k] = el
		for l.order.Len() > limiterSize {
			last := l.order.Back()
			l.order.Remove(last)
			delete(l.entries, last.Value.(*limitEntry).key)
		}
	}
	e := el.Value.(*limitEntry)
	if len(e.times) == l.max {
		if now.Sub(e.times[0]) < limitWindow {
			return false
		}
		e.times = append(e.times[:0], e.times[1:]...)
	}
	e.times = append(e.times, now)
	l.order.MoveToFront(el)
	return true
}
