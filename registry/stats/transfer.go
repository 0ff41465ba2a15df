package stats

import (
	"container/list"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// coverageSize bounds the blobs being fetched in ranges that are
	// tracked at once. Evicting one forgets a client's progress: at worst
	// a download split in ranges is not counted, never one counted twice.
	coverageSize = 8192
	// coverageTTL is how long a client's progress on a blob is kept after
	// its last range: long enough to resume a pull that was killed and
	// restarted, short enough that the map holds only live transfers.
	coverageTTL = 15 * time.Minute
	// maxSpans bounds the disjoint pieces kept of one blob. Clients fetch
	// in order, so their ranges merge into one or two spans; a client that
	// scatters more pieces than this is not counted, rather than let it
	// grow the map.
	maxSpans = 32
)

// clientOf names the client a request comes from: the host of
// RemoteAddr, or, when that is one of trusted (a reverse proxy mpakd sits
// behind), the nearest address in X-Forwarded-For that is not. Without
// trusted proxies the header is ignored: any client could forge it. An
// IPv6 address stands for its /64, which one host usually has whole and
// could otherwise cycle through.
func clientOf(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap().WithZone("")
	if isTrusted(addr, trusted) {
		addr = forwardedFor(r.Header.Values("X-Forwarded-For"), addr, trusted)
	}
	if addr.Is6() {
		p, _ := addr.Prefix(64) // cannot fail for 64 on an IPv6 address
		return p.String()
	}
	return addr.String()
}

// forwardedFor walks X-Forwarded-For from the right (the hop nearest the
// proxy, which appended it) past trusted proxies to the first address that
// is not one; proxy when there is none or an entry does not parse.
func forwardedFor(values []string, proxy netip.Addr, trusted []netip.Prefix) netip.Addr {
	var hops []string
	for _, v := range values {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := proxy
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return client
		}
		client = a.Unmap().WithZone("")
		if !isTrusted(client, trusted) {
			return client
		}
	}
	return client
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// sent is the part of a blob that one response carried: bytes [start,
// end) of size.
type sent struct{ start, end, size int64 }

// whole tells whether the response carried the entire blob.
func (s sent) whole() bool { return s.start == 0 && s.end == s.size }

// response is the status line and headers of a blob GET that tell what it
// sends.
type response struct {
	code                        int
	contentLength, contentRange string
}

// sent is what the response sent, given that the handler wrote written
// body bytes. ok is false when it carries no part of a blob that can be
// measured: an error, a multipart answer, a 200 without Content-Length
// (the size is then unknown).
func (r response) sent(written int64) (s sent, ok bool) {
	switch r.code {
	case http.StatusOK:
		// The whole blob, even when a Range was asked for and ignored.
		size, err := strconv.ParseInt(r.contentLength, 10, 64)
		if err != nil || size < 0 {
			return sent{}, false
		}
		s = sent{0, size, size}
	case http.StatusPartialContent:
		// One range; a multipart answer has no Content-Range and no client
		// downloads that way.
		var ok bool
		if s, ok = parseContentRange(r.contentRange); !ok {
			return sent{}, false
		}
	default:
		return sent{}, false
	}
	// A response cut short (the client went away, a write failed) sent
	// only its first written bytes.
	s.end = min(s.end, s.start+written)
	return s, true
}

// parseContentRange reads "bytes first-last/size" into [first, last+1) of
// size; an unknown size ("/*") cannot be measured against.
func parseContentRange(v string) (s sent, ok bool) {
	spec, ok := strings.CutPrefix(v, "bytes ")
	if !ok {
		return sent{}, false
	}
	rng, size, ok := strings.Cut(spec, "/")
	if !ok {
		return sent{}, false
	}
	first, last, ok := strings.Cut(rng, "-")
	if !ok {
		return sent{}, false
	}
	var err [3]error
	s.start, err[0] = strconv.ParseInt(first, 10, 64)
	s.end, err[1] = strconv.ParseInt(last, 10, 64)
	s.size, err[2] = strconv.ParseInt(size, 10, 64)
	s.end++
	if err[0] != nil || err[1] != nil || err[2] != nil || s.start < 0 || s.start >= s.end || s.end > s.size {
		return sent{}, false
	}
	return s, true
}

// transferKey is one client's fetching of one blob.
type transferKey struct{ client, repository, digest string }

// span is bytes [start, end).
type span struct{ start, end int64 }

// coverage tracks, per client and blob, which bytes the client has been
// sent by responses that each carried only part of the blob. It is a
// bounded LRU whose entries expire coverageTTL after their last range.
type coverage struct {
	mu      sync.Mutex
	order   *list.List // front: most recently touched
	entries map[transferKey]*list.Element
	now     func() time.Time
}

type coverageEntry struct {
	key     transferKey
	size    int64
	spans   []span // sorted, disjoint and not adjacent
	expires time.Time
}

func newCoverage(now func() time.Time) *coverage {
	return &coverage{order: list.New(), entries: make(map[transferKey]*list.Element), now: now}
}

// add records that the client was sent s and tells whether it now has been
// sent every byte of the blob. It then forgets the blob, so that the next
// download starts from nothing: ranges count coverage, not their sum.
func (c *coverage) add(k transferKey, s sent) (complete bool) {
	if s.end <= s.start {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	el, ok := c.entries[k]
	var e *coverageEntry
	if ok {
		e = el.Value.(*coverageEntry)
		// A digest names one content, so a size that changed is a
		// different blob behind a reused key (or a broken server): start
		// over.
		if !now.Before(e.expires) || e.size != s.size {
			e.size, e.spans = s.size, e.spans[:0]
		}
		c.order.MoveToFront(el)
	} else {
		e = &coverageEntry{key: k, size: s.size}
		c.entries[k] = c.order.PushFront(e)
		for c.order.Len() > coverageSize {
			c.remove(c.order.Back())
		}
	}
	e.expires = now.Add(coverageTTL)
	spans := merge(e.spans, span{s.start, s.end})
	if len(spans) > maxSpans {
		return false // too scattered: keep what was, ignore this piece
	}
	e.spans = spans
	if len(spans) == 1 && spans[0] == (span{0, e.size}) {
		c.remove(c.entries[k])
		return true
	}
	return false
}

// forget drops a client's progress on a blob, after a response that sent
// the whole of it was counted on its own.
func (c *coverage) forget(k transferKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[k]; ok {
		c.remove(el)
	}
}

func (c *coverage) remove(el *list.Element) {
	c.order.Remove(el)
	delete(c.entries, el.Value.(*coverageEntry).key)
}

func (c *coverage) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// merge inserts s into spans (sorted, disjoint, not adjacent) and keeps
// them so, returning a new slice: the caller keeps the old one when the
// result is too long.
func merge(spans []span, s span) []span {
	out := make([]span, 0, len(spans)+1)
	i := 0
	for ; i < len(spans) && spans[i].end < s.start; i++ {
		out = append(out, spans[i])
	}
	for ; i < len(spans) && spans[i].start <= s.end; i++ {
		s.start, s.end = min(s.start, spans[i].start), max(s.end, spans[i].end)
	}
	out = append(out, s)
	return append(out, spans[i:]...)
}
