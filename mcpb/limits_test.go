package mcpb

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// splitBomb builds the bomb of the report: n entries of 1 MiB of zeros
// each, every one just under the per-entry ratio floor. The zeros are
// compressed once and the bytes reused, which yields the same zip as
// compressing each entry.
func splitBomb(t *testing.T, n int) []byte {
	t.Helper()
	zeros := make([]byte, 1<<20)
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw.Write(zeros)
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	m := manifestEntry(t)
	w, _ := zw.Create(m.name)
	w.Write(m.body)
	for i := range n {
		fh := &zip.FileHeader{Name: fmt.Sprintf("pad/%03d.bin", i), Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(zeros),
			CompressedSize64: uint64(comp.Len()), UncompressedSize64: uint64(len(zeros))}
		w, err := zw.CreateRaw(fh)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(comp.Bytes())
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestSplitBombRefused: 600 entries of 1 MiB of zeros pass every per-entry
// check and are refused by the whole-archive ratio before a byte is
// extracted, with an error that names the limit and how to raise it.
func TestSplitBombRefused(t *testing.T) {
	t.Parallel()
	bomb := splitBomb(t, 600)
	t.Logf("bomb: %d bytes declaring 600 MiB", len(bomb))
	path := filepath.Join(t.TempDir(), "bomb.mcpb")
	if err := os.WriteFile(path, bomb, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path, OpenOptions{})
	if err == nil {
		t.Fatal("the split bomb was accepted")
	}
	want := fmt.Sprintf("archive of %d bytes expands to %d bytes", len(bomb), 600<<20+len(manifestEntry(t).body))
	for _, w := range []string{want, "more than the 100:1 limit for a whole archive", "refusing a possible zip bomb", EnvLimits + "=ratio="} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q\nlacks %q", err, w)
		}
	}

	// The hint works: the bomb opens once the user raises the limit. It
	// is not extracted: the disk would notice.
	raised, err := ParseLimits("ratio=1000")
	if err != nil {
		t.Fatal(err)
	}
	a, err := Open(path, OpenOptions{Limits: raised})
	if err != nil {
		t.Fatalf("with ratio=1000: %v", err)
	}
	a.Close()
	if raised, err = ParseLimits("ratio=off"); err != nil {
		t.Fatal(err)
	}
	if a, err = Open(path, OpenOptions{Limits: raised}); err != nil {
		t.Fatalf("with ratio=off: %v", err)
	}
	a.Close()
}

// TestArchiveRatioFloor: below 32 MiB in total, any ratio is accepted, so a
// small bundle of text is never refused for compressing well.
func TestArchiveRatioFloor(t *testing.T) {
	t.Parallel()
	small := splitBomb(t, 31) // 31 MiB and a manifest
	a, err := readBytes(small, OpenOptions{})
	if err != nil {
		t.Fatalf("31 MiB of zeros in %d bytes: %v", len(small), err)
	}
	if err := a.Extract(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if _, err := readBytes(splitBomb(t, 33), OpenOptions{}); err == nil || !strings.Contains(err.Error(), "for a whole archive") {
		t.Fatalf("33 MiB of zeros: %v", err)
	}
}

// sourceText returns n bytes that compress like small source files (2:1
// or so, each file on its own): statements from a few shapes over a
// vocabulary of identifiers, in varying order, with random literals.
func sourceText(r *rand.Rand, idents []string, n int) []byte {
	shapes := []string{
		"const %s = require('%s');\n",
		"function %s(%s, options) {\n  return this.%s(options);\n}\n",
		"  if (%s === undefined) { throw new TypeError('%s: expected a value'); }\n",
		"module.exports.%s = async (%s) => await %s.resolve();\n",
		"  %s.%s = 0x%x;\n",
	}
	var b bytes.Buffer
	for b.Len() < n {
		shape := shapes[r.IntN(len(shapes))]
		args := make([]any, strings.Count(shape, "%"))
		for i := range args {
			args[i] = idents[r.IntN(len(idents))]
		}
		if strings.Contains(shape, "%x") {
			args[len(args)-1] = r.Uint32()
		}
		fmt.Fprintf(&b, shape, args...)
	}
	return b.Bytes()[:n]
}

// TestLargeRealisticArchiveAccepted: the default limits accept a bundle
// shaped like the largest real ones, thousands of small source files and a
// few large binaries, and extract it whole.
func TestLargeRealisticArchiveAccepted(t *testing.T) {
	t.Parallel()
	built := time.Now()
	r := rand.New(rand.NewPCG(1, 2))
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, body []byte) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(body)
	}
	m := manifestEntry(t)
	add(m.name, m.body)
	idents := make([]string, 500)
	for i := range idents {
		idents[i] = fmt.Sprintf("%s%x", []string{"get", "set", "parse", "handle", "buffer", "stream", "config"}[i%7], r.Uint32()>>12)
	}
	// Files are cut from one stretch of text at random offsets: each is
	// compressed on its own, so sharing costs no realism, only time.
	text := sourceText(r, idents, 1<<20)
	const small = 19000
	var total int64
	for i := range small {
		n := 100 + r.IntN(1500)
		off := r.IntN(len(text) - n)
		body := text[off : off+n]
		total += int64(len(body))
		add(fmt.Sprintf("node_modules/pkg%03d/lib/file%05d.js", i%400, i), body)
	}
	for i := range 3 {
		body := make([]byte, 2<<20)
		rand.NewChaCha8([32]byte{byte(i)}).Read(body) // native code barely compresses
		total += int64(len(body))
		add(fmt.Sprintf("node_modules/native%d/build/addon.node", i), body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("built in %v", time.Since(built))
	t.Logf("%d files, %d bytes in a %d-byte zip (%.1f:1)", small+4, total, buf.Len(), float64(total)/float64(buf.Len()))

	start := time.Now()
	a, err := readBytes(buf.Bytes(), OpenOptions{})
	if err != nil {
		t.Fatalf("a realistic bundle was refused: %v", err)
	}
	read := time.Since(start)
	if testing.Short() {
		return // creating 19,000 files takes seconds
	}
	dir := t.TempDir()
	if err := a.Extract(dir); err != nil {
		t.Fatal(err)
	}
	t.Logf("read in %v, extracted in %v", read, time.Since(start)-read)
	if len(a.Files) != small+4 {
		t.Errorf("%d files, want %d", len(a.Files), small+4)
	}
	if got := readEntry(t, a, "node_modules/pkg007/lib/file00007.js"); len(got) < 100 {
		t.Errorf("file00007.js: %d bytes", len(got))
	}
}

// TestLargeDeclaredTotalsAccepted: the largest real bundle known, 830 MB
// in 18,769 files, passes the default limits. Only the headers are real:
// Read checks declared sizes, which bound what Extract may write, so the
// limits are exercised without writing 830 MB. The zip is 20 MB, a 41:1
// ratio, far more compressible than real code (3-5:1).
func TestLargeDeclaredTotalsAccepted(t *testing.T) {
	t.Parallel()
	const files, total = 18769, 830_000_000
	noise := rand.NewChaCha8([32]byte{3})
	raw := make([]byte, 1024)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	m := manifestEntry(t)
	w, _ := zw.Create(m.name)
	w.Write(m.body)
	var declared uint64
	for i := range files - 1 {
		size := uint64(total / (files - 1))
		if i == 0 {
			size += total % (files - 1)
		}
		declared += size
		noise.Read(raw)
		w, err := zw.CreateRaw(&zip.FileHeader{Name: fmt.Sprintf("lib/%05d.js", i), Method: zip.Deflate,
			CompressedSize64: uint64(len(raw)), UncompressedSize64: size})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(raw)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	a, err := readBytes(buf.Bytes(), OpenOptions{})
	if err != nil {
		t.Fatalf("830 MB in 18,769 files refused: %v", err)
	}
	var sum int64
	for _, f := range a.Files {
		sum += f.Size
	}
	if len(a.Files) != files || sum != total+int64(len(m.body)) || declared != total {
		t.Errorf("%d files, %d bytes; want %d, %d", len(a.Files), sum, files, total+len(m.body))
	}
	// And the same totals at a real ratio, straight through the check.
	if err := checkArchiveRatio(total, 200_000_000, DefaultLimits().MaxArchiveRatio); err != nil {
		t.Error(err)
	}
}

func TestParseLimits(t *testing.T) {
	got, err := ParseLimits(" files=100000, size=4GiB,entry-ratio=off,ratio=250 ,manifest=2MB")
	want := Limits{MaxFiles: 100000, MaxUncompressed: 4 << 30, MaxRatio: -1, MaxArchiveRatio: 250, MaxManifest: 2_000_000}
	if err != nil || got != want {
		t.Errorf("ParseLimits = %+v, %v; want %+v", got, err, want)
	}
	if got, err := ParseLimits(""); err != nil || got != (Limits{}) {
		t.Errorf("ParseLimits(\"\") = %+v, %v", got, err)
	}
	for in, msg := range map[string]string{
		"files":              `"files": want key=value`,
		"files=0":            `files: "0" is not a positive number`,
		"size=-1":            `size: "-1" is not a positive number`,
		"size=90000000000GB": `size: "90000000000" is not a positive number`,
		"ratio=lots":         `ratio: "lots" is not a positive number`,
		"bytes=1":            `unknown key "bytes"`,
	} {
		if _, err := ParseLimits(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseLimits(%q) = %v, want %q", in, err, msg)
		}
	}

	// The library never reads the variable: a setting in the environment
	// changes nothing until the caller parses it and passes it in. (So this
	// test sets it, and stays serial.)
	data := buildZip(t, manifestEntry(t), zipEntry{name: "a"}, zipEntry{name: "b"})
	t.Setenv(EnvLimits, "files=2")
	if _, err := readBytes(data, OpenOptions{}); err != nil {
		t.Errorf("the library read $%s: %v", EnvLimits, err)
	}
	two, err := ParseLimits("files=2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readBytes(data, OpenOptions{Limits: two}); err == nil || !strings.Contains(err.Error(), "more than the limit of 2 (if you trust this bundle, raise the limit: "+EnvLimits+"=files=3)") {
		t.Errorf("files=2: %v", err)
	}
}
