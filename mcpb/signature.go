package mcpb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// The MCPB CLI signs a bundle by appending, after the zip's last byte:
//
//	"MCPB_SIG_V1" | uint32 little-endian N | N bytes DER PKCS#7 | "MCPB_SIG_END"
//
// The PKCS#7 is a detached signature over the zip bytes before the trailer.
const (
	sigHeader = "MCPB_SIG_V1"
	sigFooter = "MCPB_SIG_END"
	// sigFixed is the trailer's size without the PKCS#7.
	sigFixed = len(sigHeader) + 4 + len(sigFooter)
)

// maxSignatureSize bounds the backwards scan for the trailer header. Real
// signatures are a few KiB (a certificate chain); 16 MiB is generous.
const maxSignatureSize = 16 << 20

// ErrMalformedSignature is wrapped by FindSignature when a file ends in
// MCPB_SIG_END but the trailer is not well-formed.
var ErrMalformedSignature = errors.New("malformed MCPB signature trailer")

// Signature is the MCPB signature trailer of a bundle.
type Signature struct {
	// PKCS7 is the DER-encoded detached PKCS#7 SignedData.
	PKCS7 []byte
	// Offset is where the trailer starts: the length of the unsigned zip,
	// which is also the signed content.
	Offset int64
}

// FindSignature looks for the MCPB signature trailer at the end of the first
// size bytes of r. It returns nil, nil for an unsigned bundle and an error
// wrapping ErrMalformedSignature when the file ends in MCPB_SIG_END but no
// MCPB_SIG_V1 header with a matching length precedes it.
func FindSignature(r io.ReaderAt, size int64) (*Signature, error) {
	if size < int64(len(sigFooter)) {
		return nil, nil
	}
	footer := make([]byte, len(sigFooter))
	if _, err := r.ReadAt(footer, size-int64(len(sigFooter))); err != nil {
		return nil, fmt.Errorf("read signature trailer: %w", err)
	}
	if string(footer) != sigFooter {
		return nil, nil
	}
	end := size - int64(len(sigFooter)) // where the PKCS#7 must end

	// Scan backwards chunk by chunk. The nearest header whose length field
	// lands exactly on the footer wins; a nearer one with a wrong length
	// could be a chance match inside the DER, so keep looking.
	const chunk = 64 << 10
	limit := max(0, end-int64(len(sigHeader)+4)-maxSignatureSize)
	var nearest *int64
	var nearestLen uint32
	lenBuf := make([]byte, 4)
	for hi := end; hi > limit; {
		lo := max(limit, hi-chunk)
		// Overlap into the previous chunk so a header that straddles the
		// boundary is still seen.
		top := min(end, hi+int64(len(sigHeader))-1)
		buf := make([]byte, top-lo)
		if _, err := r.ReadAt(buf, lo); err != nil && err != io.EOF {
			return nil, fmt.Errorf("read signature trailer: %w", err)
		}
		for i := len(buf); ; {
			i = bytes.LastIndex(buf[:i], []byte(sigHeader))
			if i < 0 {
				break
			}
			pos := lo + int64(i)
			if pos >= hi {
				continue // seen in the previous round
			}
			if pos+int64(len(sigHeader)+4) > end {
				continue
			}
			if _, err := r.ReadAt(lenBuf, pos+int64(len(sigHeader))); err != nil {
				return nil, fmt.Errorf("read signature trailer: %w", err)
			}
			n := binary.LittleEndian.Uint32(lenBuf)
			if pos+int64(len(sigHeader)+4)+int64(n) == end {
				if n == 0 {
					return nil, fmt.Errorf("%w: the PKCS#7 signature is empty; re-sign the bundle or strip the trailer", ErrMalformedSignature)
				}
				sig := &Signature{PKCS7: make([]byte, n), Offset: pos}
				if _, err := r.ReadAt(sig.PKCS7, pos+int64(len(sigHeader)+4)); err != nil {
					return nil, fmt.Errorf("read signature: %w", err)
				}
				return sig, nil
			}
			if nearest == nil {
				nearest, nearestLen = &pos, n
			}
		}
		hi = lo
	}
	if nearest != nil {
		have := end - *nearest - int64(len(sigHeader)+4)
		return nil, fmt.Errorf("%w: header at offset %d declares %d bytes of PKCS#7 but %d bytes precede MCPB_SIG_END (truncated or corrupted download?); fetch the bundle again or re-sign it",
			ErrMalformedSignature, *nearest, nearestLen, have)
	}
	return nil, fmt.Errorf("%w: file ends with MCPB_SIG_END but has no MCPB_SIG_V1 header within %d MiB; fetch the bundle again or re-sign it",
		ErrMalformedSignature, maxSignatureSize>>20)
}

// WriteSignatureTrailer appends the MCPB signature trailer for pkcs7 to w,
// which must already hold the complete zip.
func WriteSignatureTrailer(w io.Writer, pkcs7 []byte) error {
	if len(pkcs7) == 0 || len(pkcs7) > math.MaxUint32 {
		return fmt.Errorf("signature trailer: PKCS#7 of %d bytes is not supported", len(pkcs7))
	}
	buf := make([]byte, 0, sigFixed+len(pkcs7))
	buf = append(buf, sigHeader...)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(pkcs7)))
	buf = append(buf, pkcs7...)
	buf = append(buf, sigFooter...)
	_, err := w.Write(buf)
	return err
}

// eocdSignature starts the zip end-of-central-directory record, which is 22
// bytes plus a comment of up to 65535 bytes.
const (
	eocdSignature = "PK\x05\x06"
	eocdLen       = 22
)

// zipView returns the bytes archive/zip should see: the zip without its
// signature trailer.
//
// Signers that follow mcpb PR #204 extend the EOCD comment_length so the
// trailer becomes a legal zip comment. Once the trailer is cut off, that
// length points past the end and archive/zip rejects the file, so the view
// reports the comment length the unsigned zip had. The correction is an
// overlay of two bytes, not a copy: bundles can be gigabytes.
func zipView(r io.ReaderAt, size int64, sig *Signature) (io.ReaderAt, int64, error) {
	if sig == nil {
		return r, size, nil
	}
	zsize := sig.Offset
	tail := min(zsize, int64(eocdLen+math.MaxUint16))
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, zsize-tail); err != nil && err != io.EOF {
		return nil, 0, err
	}
	// Search from the end, as archive/zip does: it stops at the last
	// signature it finds.
	for i := len(buf) - eocdLen; i >= 0; i-- {
		if string(buf[i:i+4]) != eocdSignature {
			continue
		}
		commentLen := int64(binary.LittleEndian.Uint16(buf[i+20:]))
		abs := zsize - tail + int64(i)
		if abs+eocdLen+commentLen <= zsize || abs+eocdLen+commentLen > size {
			// Either fine as is, or broken in a way a patch cannot
			// explain: let archive/zip judge it.
			return r, zsize, nil
		}
		var fixed [2]byte
		binary.LittleEndian.PutUint16(fixed[:], uint16(zsize-abs-eocdLen))
		return &patchedReaderAt{r: r, off: abs + 20, patch: fixed[:]}, zsize, nil
	}
	return r, zsize, nil
}

// patchedReaderAt reads r with the bytes at off replaced by patch.
type patchedReaderAt struct {
	r     io.ReaderAt
	off   int64
	patch []byte
}

func (p *patchedReaderAt) ReadAt(b []byte, off int64) (int, error) {
	n, err := p.r.ReadAt(b, off)
	for i, c := range p.patch {
		if j := p.off + int64(i) - off; j >= 0 && j < int64(n) {
			b[j] = c
		}
	}
	return n, err
}
