package mcpb

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"
)

// packedBundle returns the bytes of a small valid bundle.
func packedBundle(t *testing.T) []byte {
	t.Helper()
	data, _ := packBytes(t, bundleDir(t, nil, map[string]string{"server/run*": "#!/bin/sh\n"}), PackOptions{})
	return data
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// sign appends a trailer for pkcs7. With patch it also extends the EOCD
// comment_length over the trailer, as mcpb PR #204 does.
func sign(t *testing.T, unsigned, pkcs7 []byte, patch bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.Write(unsigned)
	if err := WriteSignatureTrailer(&buf, pkcs7); err != nil {
		t.Fatal(err)
	}
	signed := buf.Bytes()
	if patch {
		eocd := bytes.LastIndex(unsigned, []byte(eocdSignature))
		if eocd < 0 {
			t.Fatal("no EOCD")
		}
		comment := int(binary.LittleEndian.Uint16(signed[eocd+20:]))
		binary.LittleEndian.PutUint16(signed[eocd+20:], uint16(comment+sigFixed+len(pkcs7)))
	}
	return signed
}

func TestSignatureTrailer(t *testing.T) {
	t.Parallel()
	unsigned := packedBundle(t)
	for _, tc := range []struct {
		name  string
		size  int
		patch bool
		// rawGo says whether archive/zip alone copes with the signed file;
		// it documents why the trailer must be stripped first.
		rawGo bool
	}{
		{"small", 2237, false, true},
		{"small patched", 2237, true, true},
		{"larger than zip's EOCD search window", 100 << 10, false, false},
		{"patched to the comment maximum", 65535 - sigFixed, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pkcs7 := randomBytes(t, tc.size)
			signed := sign(t, unsigned, pkcs7, tc.patch)

			_, rawErr := zip.NewReader(bytes.NewReader(signed), int64(len(signed)))
			if (rawErr == nil) != tc.rawGo {
				t.Errorf("archive/zip on the raw signed file: err=%v, expected success=%v", rawErr, tc.rawGo)
			}

			a, err := Read(bytes.NewReader(signed), int64(len(signed)), OpenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if a.Signature == nil {
				t.Fatal("signature not found")
			}
			if a.Signature.Offset != int64(len(unsigned)) || !bytes.Equal(a.Signature.PKCS7, pkcs7) {
				t.Errorf("signature at %d with %d bytes, want %d and %d", a.Signature.Offset, len(a.Signature.PKCS7), len(unsigned), len(pkcs7))
			}
			sum := sha256.Sum256(signed)
			if a.SHA256 != hex.EncodeToString(sum[:]) || a.Size != int64(len(signed)) {
				t.Errorf("SHA256/Size describe %s/%d, want the whole signed file", a.SHA256, a.Size)
			}
			if a.Manifest == nil || a.Manifest.Name != "demo" || readEntry(t, a, "server/run") != "#!/bin/sh\n" {
				t.Error("bundle content not readable through the signature")
			}
		})
	}
}

func TestFindSignature(t *testing.T) {
	t.Parallel()
	unsigned := packedBundle(t)
	sig, err := FindSignature(bytes.NewReader(unsigned), int64(len(unsigned)))
	if sig != nil || err != nil {
		t.Errorf("unsigned bundle: %v, %v", sig, err)
	}
	if sig, err := FindSignature(bytes.NewReader(nil), 0); sig != nil || err != nil {
		t.Errorf("empty input: %v, %v", sig, err)
	}

	// A chance "MCPB_SIG_V1" inside the PKCS#7 must not confuse the scan.
	pkcs7 := append(randomBytes(t, 500), []byte(sigHeader+"\x05\x00\x00\x00")...)
	pkcs7 = append(pkcs7, randomBytes(t, 300)...)
	signed := sign(t, unsigned, pkcs7, false)
	sig, err = FindSignature(bytes.NewReader(signed), int64(len(signed)))
	if err != nil || sig.Offset != int64(len(unsigned)) || !bytes.Equal(sig.PKCS7, pkcs7) {
		t.Errorf("embedded header: %+v, %v", sig, err)
	}

	// Headers straddling the 64 KiB scan chunks are still found.
	for _, n := range []int{65536 - 30, 65536 - 22, 65536 - 20, 65536 - 16, 65536, 3 * 65536} {
		signed := sign(t, unsigned, randomBytes(t, n), false)
		sig, err := FindSignature(bytes.NewReader(signed), int64(len(signed)))
		if err != nil || sig == nil || sig.Offset != int64(len(unsigned)) {
			t.Errorf("PKCS#7 of %d bytes: %+v, %v", n, sig, err)
		}
	}
}

func TestFindSignatureMalformed(t *testing.T) {
	t.Parallel()
	unsigned := packedBundle(t)
	signed := sign(t, unsigned, randomBytes(t, 1000), false)
	truncated := append(bytes.Clone(signed[:len(unsigned)+sigFixed-len(sigFooter)+500]), sigFooter...)

	zeroLength := append(bytes.Clone(unsigned), sigHeader+"\x00\x00\x00\x00"+sigFooter...)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"truncated PKCS#7", truncated, "declares 1000 bytes of PKCS#7 but 500 bytes precede MCPB_SIG_END"},
		{"footer without header", append(bytes.Clone(unsigned), sigFooter...), "has no MCPB_SIG_V1 header"},
		{"zero length", zeroLength, "the PKCS#7 signature is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FindSignature(bytes.NewReader(tc.data), int64(len(tc.data)))
			if !errors.Is(err, ErrMalformedSignature) || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
				t.Fatalf("error %v, want ErrMalformedSignature with %q", err, tc.want)
			}
			_, err = Read(bytes.NewReader(tc.data), int64(len(tc.data)), OpenOptions{})
			if !errors.Is(err, ErrMalformedSignature) {
				t.Errorf("Read: %v", err)
			}
		})
	}
}

// A zip that already had a comment keeps it when the patched length is
// corrected.
func TestZipViewKeepsOriginalComment(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create(ManifestFile)
	w.Write(mustJSON(t, baseManifest("0.3")))
	zw.SetComment("built by hand")
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	signed := sign(t, buf.Bytes(), randomBytes(t, 700), true)
	sig, err := FindSignature(bytes.NewReader(signed), int64(len(signed)))
	if err != nil {
		t.Fatal(err)
	}
	view, size, err := zipView(bytes.NewReader(signed), int64(len(signed)), sig)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(view, size)
	if err != nil {
		t.Fatal(err)
	}
	if zr.Comment != "built by hand" {
		t.Errorf("comment %q", zr.Comment)
	}
}
