package stats

import (
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"testing"
	"time"
)

func TestClientOf(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.1:1234":              "192.0.2.1",
		"[::ffff:192.0.2.1]:1234":     "192.0.2.1", // IPv4 on a dual-stack socket
		"[2001:db8:1:2:3:4:5:6]:443":  "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443":  "2001:db8:1:2::/64", // same /64, same client
		"[fe80::1%eth0]:443":          "fe80::/64",
		"192.0.2.1":                   "192.0.2.1", // no port
		"not an address":              "not an address",
		"[2001:db8:1:3::1]:443":       "2001:db8:1:3::/64",
		"[::ffff:198.51.100.7]:65535": "198.51.100.7",
	} {
		r := &http.Request{RemoteAddr: remote}
		if got := clientOf(r, nil); got != want {
			t.Errorf("clientOf(%q) = %q, want %q", remote, got, want)
		}
	}
}

// TestClientBehindProxies: X-Forwarded-For is believed only from a
// trusted proxy, and only up to the first address that is not one.
func TestClientBehindProxies(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	for _, tc := range []struct{ remote, xff, want string }{
		{"10.0.0.2:80", "198.51.100.7", "198.51.100.7"},
		{"10.0.0.2:80", "203.0.113.9, 198.51.100.7", "198.51.100.7"}, // the client forged the left entry
		{"10.0.0.2:80", "198.51.100.7, 10.0.0.9", "198.51.100.7"},    // two proxies
		{"[fd00::2]:80", "2001:db8:1:2::5", "2001:db8:1:2::/64"},     // IPv6 proxy and client
		{"192.0.2.1:80", "198.51.100.7", "192.0.2.1"},                // not a trusted proxy: header ignored
		{"10.0.0.2:80", "", "10.0.0.2"},                              // no header: the proxy
		{"10.0.0.2:80", "garbage, 198.51.100.7", "198.51.100.7"},     // stops at the first untrusted hop
		{"10.0.0.2:80", "198.51.100.7, garbage", "10.0.0.2"},         // unparsable nearest hop: the proxy
	} {
		r := &http.Request{RemoteAddr: tc.remote, Header: http.Header{}}
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := clientOf(r, trusted); got != tc.want {
			t.Errorf("clientOf(%s, X-Forwarded-For %q) = %q, want %q", tc.remote, tc.xff, got, tc.want)
		}
	}
}

func TestResponseSent(t *testing.T) {
	for _, tc := range []struct {
		resp    response
		written int64
		want    sent
		ok      bool
	}{
		{response{200, "100", ""}, 100, sent{0, 100, 100}, true},
		{response{200, "100", ""}, 40, sent{0, 40, 100}, true},
		{response{200, "0", ""}, 0, sent{0, 0, 0}, true},
		{response{200, "", ""}, 100, sent{}, false},
		{response{200, "-1", ""}, 0, sent{}, false},
		{response{206, "10", "bytes 0-9/100"}, 10, sent{0, 10, 100}, true},
		{response{206, "10", "bytes 90-99/100"}, 10, sent{90, 100, 100}, true},
		{response{206, "10", "bytes 90-99/100"}, 4, sent{90, 94, 100}, true},
		{response{206, "1", "bytes 0-0/100"}, 1, sent{0, 1, 100}, true},
		{response{206, "", "bytes 0-9/*"}, 10, sent{}, false},
		{response{206, "", "bytes */100"}, 0, sent{}, false},
		{response{206, "", "bytes 9-0/100"}, 0, sent{}, false},
		{response{206, "", "bytes 0-100/100"}, 0, sent{}, false},
		{response{206, "", "bytes -1-9/100"}, 0, sent{}, false},
		{response{206, "", ""}, 100, sent{}, false}, // multipart
		{response{304, "", ""}, 0, sent{}, false},
		{response{404, "19", ""}, 19, sent{}, false},
	} {
		got, ok := tc.resp.sent(tc.written)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%+v.sent(%d) = %+v, %v; want %+v, %v", tc.resp, tc.written, got, ok, tc.want, tc.ok)
		}
	}
}

func TestMerge(t *testing.T) {
	for _, tc := range []struct {
		spans []span
		add   span
		want  []span
	}{
		{nil, span{0, 10}, []span{{0, 10}}},
		{[]span{{0, 10}}, span{10, 20}, []span{{0, 20}}}, // adjacent
		{[]span{{0, 10}}, span{5, 8}, []span{{0, 10}}},   // inside
		{[]span{{0, 10}}, span{20, 30}, []span{{0, 10}, {20, 30}}},
		{[]span{{20, 30}}, span{0, 10}, []span{{0, 10}, {20, 30}}},
		{[]span{{0, 10}, {20, 30}, {40, 50}}, span{5, 45}, []span{{0, 50}}},
		{[]span{{0, 10}, {20, 30}, {40, 50}}, span{12, 18}, []span{{0, 10}, {12, 18}, {20, 30}, {40, 50}}},
		{[]span{{0, 10}, {20, 30}}, span{10, 20}, []span{{0, 30}}},
	} {
		before := slices.Clone(tc.spans)
		if got := merge(tc.spans, tc.add); !slices.Equal(got, tc.want) {
			t.Errorf("merge(%v, %v) = %v, want %v", tc.spans, tc.add, got, tc.want)
		}
		if !slices.Equal(tc.spans, before) {
			t.Errorf("merge changed its input %v to %v", before, tc.spans)
		}
	}
}

// TestCoverageBounds: progress expires, is kept apart per client, resets
// when a size disagrees, ignores scattered pieces past maxSpans, and the
// map never holds more than coverageSize transfers.
func TestCoverageBounds(t *testing.T) {
	clk := newClock(day1)
	c := newCoverage(clk.Now)
	a, b := transferKey{"a", fixtureRepo, linuxLayer}, transferKey{"b", fixtureRepo, linuxLayer}

	if c.add(a, sent{0, 50, 100}) || c.add(b, sent{50, 100, 100}) {
		t.Fatal("halves from two clients completed a download")
	}
	clk.set(day1.Add(coverageTTL - time.Second))
	if !c.add(a, sent{50, 100, 100}) {
		t.Fatal("a client's second half within the TTL did not complete its download")
	}
	if c.len() != 1 {
		t.Fatalf("%d transfers tracked after one completed, want 1 (b's)", c.len())
	}
	clk.set(day1.Add(2 * coverageTTL))
	if c.add(b, sent{0, 50, 100}) {
		t.Fatal("a half sent after the other had expired completed a download")
	}
	if c.add(b, sent{50, 200, 200}) {
		t.Fatal("ranges of two sizes completed a download")
	}

	for i := range maxSpans {
		c.add(a, sent{int64(i) * 10, int64(i)*10 + 1, 1000})
	}
	c.add(a, sent{500, 501, 1000}) // one piece too many: ignored
	if c.add(a, sent{1, 500, 1000}) || c.add(a, sent{501, 1000, 1000}) {
		t.Fatal("a piece past maxSpans was taken")
	}
	if !c.add(a, sent{500, 501, 1000}) {
		t.Fatal("the last missing byte did not complete the download")
	}

	for i := range coverageSize + 10 {
		c.add(transferKey{fmt.Sprint(i), fixtureRepo, linuxLayer}, sent{0, 1, 2})
	}
	if n := c.len(); n != coverageSize {
		t.Errorf("%d transfers tracked, want the bound %d", n, coverageSize)
	}
}

// TestLimiter: a sliding window of max events per key, within a bounded
// number of keys.
func TestLimiter(t *testing.T) {
	clk := newClock(day1)
	l := newLimiter(2, clk.Now)
	k := limitKey{"192.0.2.1", fixtureRepo, fixtureVersion}
	other := limitKey{"192.0.2.1", fixtureRepo, "2.0.0"}
	allowed := func(k limitKey, at time.Duration) bool {
		clk.set(day1.Add(at))
		return l.allow(k)
	}
	for _, step := range []struct {
		key  limitKey
		at   time.Duration
		want bool
	}{
		{k, 0, true},
		{k, 10 * time.Minute, true},
		{k, 20 * time.Minute, false},
		{other, 20 * time.Minute, true}, // another version has its own allowance
		{k, 59 * time.Minute, false},
		{k, 60 * time.Minute, true}, // the first is an hour old
		{k, 65 * time.Minute, false},
		{k, 70 * time.Minute, true}, // the second is
		{k, 71 * time.Minute, false},
	} {
		if got := allowed(step.key, step.at); got != step.want {
			t.Errorf("allow(%v) at +%v = %v, want %v", step.key, step.at, got, step.want)
		}
	}
	for i := range limiterSize + 10 {
		l.allow(limitKey{fmt.Sprint(i), fixtureRepo, fixtureVersion})
	}
	if n := len(l.entries); n != limiterSize || l.order.Len() != limiterSize {
		t.Errorf("%d keys kept (%d in order), want the bound %d", n, l.order.Len(), limiterSize)
	}
}

// TestMaxPerClientOption: the option sets the allowance, a negative one
// lifts it, and a download whose layer the Store could not resolve in
// time is limited by its digest.
func TestMaxPerClientOption(t *testing.T) {
	for _, tc := range []struct {
		max, want int
		down      bool
	}{
		{max: 2, want: 2},
		{max: -1, want: 12},
		{max: 0, want: DefaultMaxPerClient},
		{max: 0, want: DefaultMaxPerClient, down: true},
	} {
		t.Run(fmt.Sprintf("%d, store down %v", tc.max, tc.down), func(t *testing.T) {
			store := &flakyStore{Store: openStore(t, "")}
			c, _ := openCounter(t, Options{Store: store, MaxPerClient: tc.max})
			url, _, _ := layerFixture(t, c, store, 1000)
			store.down.Store(tc.down)
			client := clientFrom(t, "127.0.0.6", 0)
			for range 12 {
				fetch(t, client, "GET", url, "", 200)
			}
			wantPending(t, c, tc.want)
			store.down.Store(false)
			must(t, c.Flush(t.Context()))
			wantStats(t, store, fixtureRepo, int64(tc.want), map[string]int64{fixtureVersion: int64(tc.want)}, nil)
		})
	}
}
