package benchproxy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"time"
)

// pullResult is one GET of the layer blob.
type pullResult struct {
	bytes   int64
	elapsed time.Duration
	sha256  string // empty unless hashed
}

// pullBlob GETs the layer from the registry at host, reading the body to
// the end with a 1 MiB buffer, hashing it when verify is set.
func pullBlob(client *http.Client, host, digest string, verify bool) (pullResult, error) {
	start := time.Now()
	resp, err := client.Get("http://" + host + "/v2/" + repository + "/blobs/" + digest)
	if err != nil {
		return pullResult{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return pullResult{}, fmt.Errorf("GET blob from %s: %s", host, resp.Status)
	}
	var (
		w io.Writer = io.Discard
		h hash.Hash
	)
	if verify {
		h = sha256.New()
		w = h
	}
	n, err := io.CopyBuffer(w, resp.Body, make([]byte, 1<<20))
	if err != nil {
		return pullResult{}, fmt.Errorf("reading the blob from %s after %d bytes: %w", host, n, err)
	}
	r := pullResult{bytes: n, elapsed: time.Since(start)}
	if h != nil {
		r.sha256 = "sha256:" + hex.EncodeToString(h.Sum(nil))
	}
	return r, nil
}

func (r pullResult) mbps() float64 { return float64(r.bytes) / 1e6 / r.elapsed.Seconds() }
