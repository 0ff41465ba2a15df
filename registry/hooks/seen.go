package hooks

import (
	"context"
	"sync"
)

// seenCapacity bounds the remembered event ids: enough for the deliveries a
// sender retries (distribution re-sends within its backoff, Harbor within
// its job retries), a few megabytes at most.
const seenCapacity = 1 << 16

// seenSet remembers recent event ids, forgetting the oldest beyond its
// capacity. It lives in memory: a retry that reaches a restarted mpakd is
// processed again.
type seenSet struct {
	mu    sync.Mutex
	ids   map[string]*claim
	order []string // ring of ids in claim order
	next  int
}

// claim is one delivery's hold on an event id, from claimed until done.
type claim struct {
	id     string
	done   chan struct{} // closed when the holder finished
	failed bool          // set before done closes: the id was released
}

func newSeenSet(capacity int) *seenSet {
	return &seenSet{ids: make(map[string]*claim, capacity), order: make([]string, capacity)}
}

// take claims id for processing, or returns nil when it was processed
// before. A delivery re-sent while the first is still being processed (the
// sender timed out waiting) waits for that one instead of answering at
// once: a 200 for an event the first then fails to process would lose it,
// since the sender never sends an answered event again. If the first
// fails, the id is taken for this one. The error is ctx's, when it ends
// the wait.
func (s *seenSet) take(ctx context.Context, id string) (*claim, error) {
	for {
		s.mu.Lock()
		c, ok := s.ids[id]
		if !ok {
			c = &claim{id: id, done: make(chan struct{})}
			if old := s.order[s.next]; old != "" {
				delete(s.ids, old)
			}
			s.order[s.next] = id
			s.next = (s.next + 1) % len(s.order)
			s.ids[id] = c
			s.mu.Unlock()
			return c, nil
		}
		s.mu.Unlock()
		select {
		case <-c.done:
			if !c.failed {
				return nil, nil
			}
			// Released: the loop takes it, unless another waiter was first.
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// finish ends c's hold: a processed id stays remembered; a failed one is
// forgotten, so that its next delivery is processed.
func (s *seenSet) finish(c *claim, ok bool) {
	if !ok {
		s.mu.Lock()
		if s.ids[c.id] == c {
			delete(s.ids, c.id)
		}
		s.mu.Unlock()
		c.failed = true
	}
	close(c.done)
}
