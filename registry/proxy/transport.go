package proxy

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// NewTransport returns the proxy's default upstream transport. It bounds
// connecting, TLS and waiting for a response, never the transfer itself: a
// 1 GB blob may take minutes and must not be cut off.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:   true,
		TLSHandshakeTimeout: 10 * time.Second,
		// Counted from the end of the request body: a registry committing an
		// upload verifies the digest of everything it received first, which
		// can take a while for large blobs on remote storage.
		ResponseHeaderTimeout: 5 * time.Minute,
		ExpectContinueTimeout: time.Second,
		// Every client request becomes an upstream request on few hosts:
		// Go's default of 2 idle connections per host would redial under
		// any concurrency.
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		// Bytes pass through exactly as the upstream sent them. Go would
		// otherwise ask for gzip on the client's behalf and decompress
		// transparently, changing Content-Length and what clients verify.
		DisableCompression: true,
	}
}

// bufferSize is what one transfer holds in memory, in each direction.
// Larger than io.Copy's 32 KiB to cut per-chunk work on big blobs.
const bufferSize = 128 << 10

var buffers = sync.Pool{New: func() any { b := make([]byte, bufferSize); return &b }}

// bufferPool lends ReverseProxy its copy buffers, so that concurrent
// transfers reuse them instead of allocating per request.
type bufferPool struct{}

func (bufferPool) Get() []byte  { return *buffers.Get().(*[]byte) }
func (bufferPool) Put(b []byte) { buffers.Put(&b) }
