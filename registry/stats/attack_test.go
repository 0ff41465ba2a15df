package stats

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/registry/catalog"
)

// The attacks of issue 14, against the real embedded registry: each test
// fetches a bundle layer the way an attacker (or an unlucky client) does
// and checks what was counted.

// layerFixture pushes a bundle layer of size pseudo-random bytes to a real
// registry behind c's middleware and indexes it as fixtureVersion's linux
// build. It returns the layer's URL and bytes, and a channel that receives
// a value each time the middleware is done with a request, so that a test
// can wait for a handler that outlives its client.
func layerFixture(t *testing.T, c *Counter, store catalog.Store, size int) (url string, data []byte, served <-chan struct{}) {
	t.Helper()
	done := make(chan struct{}, 1024)
	srv, _ := startRegistry(t, func(h http.Handler) http.Handler {
		counted := c.Middleware(h)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			counted.ServeHTTP(w, r)
			select {
			case done <- struct{}{}:
			default:
			}
		})
	})
	data = make([]byte, size)
	_, _ = rand.NewChaCha8([32]byte{14}).Read(data)
	desc := pushBlob(t, remoteRepo(t, srv, fixtureRepo), mediatypes.Bundle, data)
	putVersion(t, store, fixtureRepo, fixtureVersion, linux, desc.Digest.String())
	for len(done) > 0 { // the push's own requests
		<-done
	}
	return srv.URL + "/v2/" + fixtureRepo + "/blobs/" + desc.Digest.String(), data, done
}

// clientFrom is an HTTP client whose connections come from the loopback
// address ip (Linux routes all of 127.0.0.0/8 to lo), so that one test can
// pull as many addresses. rcvbuf, when not 0, shrinks the socket's receive
// buffer, so that a client that stops reading stalls the server after
// kilobytes rather than after the megabytes an autotuned buffer holds.
func clientFrom(t testing.TB, ip string, rcvbuf int) *http.Client {
	t.Helper()
	if runtime.GOOS != "linux" && ip != "127.0.0.1" {
		t.Skipf("pulls from %s: only Linux routes all of 127.0.0.0/8 to loopback", ip)
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err == nil && rcvbuf > 0 {
			if err = conn.(*net.TCPConn).SetReadBuffer(rcvbuf); err != nil {
				conn.Close()
			}
		}
		return conn, err
	}
	tr := &http.Transport{DialContext: dial, DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// fetch sends method to url with an optional Range, reads the whole body
// and checks the status.
func fetch(t testing.TB, client *http.Client, method, url, rng string, want int) []byte {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	must(t, err)
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	resp, err := client.Do(req)
	must(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(t, err)
	if resp.StatusCode != want {
		t.Fatalf("%s (Range %q): status %d, want %d: %.200s", method, rng, resp.StatusCode, want, body)
	}
	return body
}

// TestRangeZeroLoopCountsNothing is the reported attack: 300 GETs of the
// first byte, as `curl -H 'Range: bytes=0-0'` in a loop sends them, and
// HEADs. None is a download: no client was sent the bundle.
func TestRangeZeroLoopCountsNothing(t *testing.T) {
	store := openStore(t, "")
	c, _ := openCounter(t, Options{Store: store})
	url, data, _ := layerFixture(t, c, store, 4096)
	client := clientFrom(t, "127.0.0.1", 0)
	for range 300 {
		if body := fetch(t, client, "GET", url, "bytes=0-0", http.StatusPartialContent); !bytes.Equal(body, data[:1]) {
			t.Fatalf("Range 0-0 returned %q, want the first byte", body)
		}
	}
	for range 10 {
		fetch(t, client, "HEAD", url, "", http.StatusOK)
	}
	wantPending(t, c, 0)
	must(t, c.Flush(t.Context()))
	wantStats(t, store, fixtureRepo, 0, nil, nil)
}

// TestRangesCountCoverage: a client that fetches a blob in ranges is
// counted once it has been sent every byte, whatever the order, overlap or
// repetition of its ranges; two clients' halves make no download.
func TestRangesCountCoverage(t *testing.T) {
	store := openStore(t, "")
	c, _ := openCounter(t, Options{Store: store})
	const size = 1000
	url, data, _ := layerFixture(t, c, store, size)
	a, b := clientFrom(t, "127.0.0.2", 0), clientFrom(t, "127.0.0.3", 0)

	// Two halves.
	if got := fetch(t, a, "GET", url, "bytes=0-499", 206); !bytes.Equal(got, data[:500]) {
		t.Fatal("first half: wrong bytes")
	}
	wantPending(t, c, 0)
	if got := fetch(t, a, "GET", url, "bytes=500-", 206); !bytes.Equal(got, data[500:]) {
		t.Fatal("second half: wrong bytes")
	}
	wantPending(t, c, 1)

	// Out of order, overlapping and repeated: the sum is well over two
	// blobs, the coverage one.
	for _, rng := range []string{"bytes=900-", "bytes=0-99", "bytes=0-99", "bytes=50-599", "bytes=0-0", "bytes=-350"} {
		fetch(t, a, "GET", url, rng, 206)
		wantPending(t, c, 1)
	}
	fetch(t, a, "GET", url, "bytes=590-660", 206) // closes the last gap, 600-649
	wantPending(t, c, 2)

	// Halves from two addresses: neither client was sent the blob.
	fetch(t, a, "GET", url, "bytes=0-499", 206)
	fetch(t, b, "GET", url, "bytes=500-", 206)
	wantPending(t, c, 2)

	must(t, c.Flush(t.Context()))
	wantStats(t, store, fixtureRepo, 2, map[string]int64{fixtureVersion: 2}, map[string]int64{linux: 2})
}

// TestAbortedPullCountsNothing: a client that goes away in the middle of
// the body (a pull killed, a dropped connection) is no download; when it
// resumes where it stopped and gets the rest, that is one.
func TestAbortedPullCountsNothing(t *testing.T) {
	store := openStore(t, "")
	c, _ := openCounter(t, Options{Store: store})
	const size = 16 << 20
	url, data, served := layerFixture(t, c, store, size)
	client := clientFrom(t, "127.0.0.4", 64<<10)

	resp, err := client.Get(url)
	must(t, err)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	head := make([]byte, 1<<20)
	_, err = io.ReadFull(resp.Body, head)
	must(t, err)
	// Closing an unread body closes the connection: the server's next
	// writes fail, as they do for a client killed with -9.
	must(t, resp.Body.Close())
	select {
	case <-served:
	case <-time.After(30 * time.Second):
		t.Fatal("the registry still serves the aborted pull after 30s")
	}
	wantPending(t, c, 0)

	rest := fetch(t, client, "GET", url, fmt.Sprintf("bytes=%d-", len(head)), 206)
	if !bytes.Equal(append(head, rest...), data) {
		t.Fatal("the resumed pull does not add up to the blob")
	}
	<-served
	wantPending(t, c, 1)
}

// TestRepeatedPullsAreLimitedPerAddress: one address pulling a version 20
// times in an hour is served 20 times and counted MaxPerClient (default)
// times; an hour later it counts again. Twenty addresses pulling once each
// count twenty.
func TestRepeatedPullsAreLimitedPerAddress(t *testing.T) {
	const pulls, limit = 20, 5
	store := openStore(t, "")
	clk := newClock(day1)
	c, _ := openCounter(t, Options{Store: store, Now: clk.Now})
	url, data, _ := layerFixture(t, c, store, 4096)

	one := clientFrom(t, "127.0.0.5", 0)
	for i := range pulls {
		clk.set(day1.Add(time.Duration(i) * 2 * time.Minute)) // 40 minutes in all
		if body := fetch(t, one, "GET", url, "", 200); !bytes.Equal(body, data) {
			t.Fatalf("pull %d: served %d bytes, want the whole blob: counting must never limit serving", i, len(body))
		}
	}
	wantPending(t, c, limit)
	clk.set(day1.Add(time.Hour + time.Minute)) // the first pulls are over an hour old
	fetch(t, one, "GET", url, "", 200)
	wantPending(t, c, limit+1)

	for i := range pulls {
		fetch(t, clientFrom(t, fmt.Sprintf("127.0.1.%d", i+1), 0), "GET", url, "", 200)
	}
	wantPending(t, c, limit+1+pulls)
	must(t, c.Flush(t.Context()))
	wantStats(t, store, fixtureRepo, limit+1+pulls, map[string]int64{fixtureVersion: limit + 1 + pulls}, nil)
}
