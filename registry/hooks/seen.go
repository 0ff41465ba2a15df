package hooks

import "sync"

// seenCapacity bounds the remembered event ids: enough for the deliveries a
// sender retries (distribution re-sends within its backoff, Harbor within
// its job retries), a few megabytes at most.
const seenCapacity = 1 << 16

// seenSet remembers recent event ids, forgetting the oldest beyond its
// capacity. It lives in memory: a retry that reaches a restarted mpakd is
// processed again.
type seenSet struct {
	mu    sync.Mutex
	ids   map[string]struct{}
	order []string // ring of ids in claim order
	next  int
}

func newSeenSet(capacity int) *seenSet {
	return &seenSet{ids: make(map[string]struct{}, capacity), order: make([]string, capacity)}
}

// claim records id and reports whether it was new. A delivery re-sent while
// the first is still being processed (the sender timed out) thus skips the
// events the first has taken.
func (s *seenSet) claim(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.ids[id]; ok {
		return false
	}
	if old := s.order[s.next]; old != "" {
		delete(s.ids, old)
	}
	s.order[s.next] = id
	s.next = (s.next + 1) % len(s.order)
	s.ids[id] = struct{}{}
	return true
}

// release forgets id, so that its next delivery is processed. Its slot in
// the ring stays taken until overwritten; deleting an absent id is harmless.
func (s *seenSet) release(id string) {
	if id == "" {
		return
	}
	s.mu.Lock()
	delete(s.ids, id)
	s.mu.Unlock()
}
