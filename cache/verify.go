package cache

import (
	"context"
	"fmt"
	"hash"
	"io"

	"github.com/opencontainers/go-digest"
)

// verifyingWriter hashes and counts what passes through it, so that Install
// checks the bytes it stores itself instead of trusting its caller's fetch.
type verifyingWriter struct {
	ctx  context.Context
	w    io.Writer
	h    hash.Hash
	want digest.Digest
	size int64 // expected size, or 0 when unknown
	n    int64
}

func newVerifyingWriter(ctx context.Context, w io.Writer, want digest.Digest, size int64) *verifyingWriter {
	return &verifyingWriter{ctx: ctx, w: w, h: want.Algorithm().Hash(), want: want, size: size}
}

func (v *verifyingWriter) Write(p []byte) (int, error) {
	// Checking here stops a fetch that ignores its context.
	if err := v.ctx.Err(); err != nil {
		return 0, err
	}
	if v.size > 0 && v.n+int64(len(p)) > v.size {
		return 0, fmt.Errorf("bundle %s: received more than the %d bytes expected; the source is not serving this bundle", v.want, v.size)
	}
	n, err := v.w.Write(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	return n, err
}

// verify reports whether exactly the expected bytes were written.
func (v *verifyingWriter) verify() error {
	if v.size > 0 && v.n != v.size {
		return fmt.Errorf("bundle %s: received %d of %d bytes; the download was cut short, try again", v.want, v.n, v.size)
	}
	if got := digest.NewDigest(v.want.Algorithm(), v.h); got != v.want {
		return fmt.Errorf("bundle %s: the bytes received have digest %s; the source served different content "+
			"(a corrupt download, a misbehaving proxy, or a file changed while read): try again, and report it to the registry if it persists",
			v.want, got)
	}
	return nil
}
