package mcpb

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

type zipEntry struct {
	name string
	body []byte
	mode fs.FileMode // 0 means 0644
	// declared, when set, is written as the uncompressed size instead of
	// the real one (a lying header).
	declared uint64
}

func buildZip(t *testing.T, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		if e.declared > 0 {
			var comp bytes.Buffer
			fw, _ := flate.NewWriter(&comp, flate.BestCompression)
			fw.Write(e.body)
			fw.Close()
			fh := &zip.FileHeader{
				Name: e.name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(e.body),
				CompressedSize64: uint64(comp.Len()), UncompressedSize64: e.declared,
			}
			w, err := zw.CreateRaw(fh)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(comp.Bytes())
			continue
		}
		fh := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		fh.SetMode(mode)
		w, err := zw.CreateHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func manifestEntry(t *testing.T) zipEntry {
	return zipEntry{name: ManifestFile, body: mustJSON(t, baseManifest("0.3"))}
}

func readBytes(data []byte, opts OpenOptions) (*Archive, error) {
	return Read(bytes.NewReader(data), int64(len(data)), opts)
}

func TestReadRejectsBadArchives(t *testing.T) {
	t.Parallel()
	zeros := make([]byte, 50<<20)
	for _, tc := range []struct {
		name    string
		data    []byte
		limits  Limits
		want    string
		wantErr error
	}{
		{name: "garbage", data: []byte("this is not a zip file at all, just some text"), want: "not a zip archive (is it an .mcpb file?)"},
		{name: "empty", data: nil, want: "not a zip archive"},
		{name: "no manifest", data: buildZip(t, zipEntry{name: "server/index.js", body: []byte("x")}),
			want: "not an MCP bundle: manifest.json missing at the zip root"},
		{name: "manifest one level down", data: buildZip(t, zipEntry{name: "demo/manifest.json", body: []byte("{}")}),
			want: "missing at the zip root (found demo/manifest.json: the zip was made from the parent directory"},
		{name: "path traversal", data: buildZip(t, manifestEntry(t), zipEntry{name: "../evil.sh", body: []byte("x")}),
			want: `unsafe entry "../evil.sh": it has a ".." path component (path traversal)`},
		{name: "nested traversal", data: buildZip(t, manifestEntry(t), zipEntry{name: "a/../../evil", body: []byte("x")}),
			want: `unsafe entry "a/../../evil": it has a ".." path component`},
		{name: "absolute path", data: buildZip(t, manifestEntry(t), zipEntry{name: "/etc/passwd", body: []byte("x")}),
			want: `unsafe entry "/etc/passwd": it has an absolute path`},
		{name: "drive letter", data: buildZip(t, manifestEntry(t), zipEntry{name: "C:/Windows/evil.dll", body: []byte("x")}),
			want: "it has an absolute path"},
		{name: "backslash", data: buildZip(t, manifestEntry(t), zipEntry{name: `..\evil`, body: []byte("x")}),
			want: "it has a backslash in its name"},
		{name: "NUL", data: buildZip(t, manifestEntry(t), zipEntry{name: "a\x00b", body: []byte("x")}),
			want: "it has a NUL byte in its name"},
		{name: "non-canonical", data: buildZip(t, manifestEntry(t), zipEntry{name: "./a//b", body: []byte("x")}),
			want: "it has a non-canonical path"},
		{name: "duplicate", data: buildZip(t, manifestEntry(t), zipEntry{name: "a.js", body: []byte("1")}, zipEntry{name: "a.js", body: []byte("2")}),
			want: `duplicate entry "a.js"`},
		{name: "file and directory", data: buildZip(t, manifestEntry(t), zipEntry{name: "lib", body: []byte("1")}, zipEntry{name: "lib/x.js", body: []byte("2")}),
			want: `entry "lib/x.js" is inside "lib", which is a file`},
		{name: "symlink", data: buildZip(t, manifestEntry(t), zipEntry{name: "link", body: []byte("/etc/passwd"), mode: fs.ModeSymlink | 0o777}),
			want: `unsafe entry "link": symlinks are not allowed in bundles`},
		{name: "named pipe", data: buildZip(t, manifestEntry(t), zipEntry{name: "fifo", mode: fs.ModeNamedPipe | 0o644}),
			want: `unsafe entry "fifo": a p---------, not a regular file`},
		{name: "too many files", data: buildZip(t, manifestEntry(t), zipEntry{name: "a"}, zipEntry{name: "b"}, zipEntry{name: "c"}),
			limits: Limits{MaxFiles: 3}, want: "archive has 4 entries, more than the limit of 3"},
		{name: "declared size too large", data: buildZip(t, manifestEntry(t), zipEntry{name: "big", body: bytes.Repeat([]byte("ab"), 1000)}),
			limits: Limits{MaxUncompressed: 1500}, want: `archive expands to more than the limit of 1500 bytes (at entry "big", 2000 bytes)`},
		{name: "decompression bomb", data: buildZip(t, manifestEntry(t), zipEntry{name: "zeros.bin", body: zeros}),
			want: `entry "zeros.bin" expands from`},
		{name: "manifest too large", data: buildZip(t, manifestEntry(t)), limits: Limits{MaxManifest: 50},
			want: "more than the limit of 50"},
		{name: "invalid manifest", data: buildZip(t, zipEntry{name: ManifestFile, body: []byte(`{"manifest_version": "0.5"}`)}),
			want: `invalid manifest.json: manifest_version: unsupported version "0.5"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := readBytes(tc.data, OpenOptions{Limits: tc.limits})
			if err == nil {
				t.Fatalf("accepted: %+v", a.Files)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want %q", err, tc.want)
			}
		})
	}
}

func TestReadAndExtract(t *testing.T) {
	t.Parallel()
	data := buildZip(t,
		manifestEntry(t),
		zipEntry{name: "server/"}, // directory entries are allowed and skipped
		zipEntry{name: "server/index.js", body: []byte("console.log(1)")},
		zipEntry{name: "server/bin/tool", body: []byte("#!/bin/sh"), mode: 0o755 | fs.ModeSetuid},
		zipEntry{name: "private.txt", body: []byte("p"), mode: 0o600},
	)
	a, err := readBytes(data, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if a.SHA256 != hex.EncodeToString(sum[:]) || a.Size != int64(len(data)) || a.Signature != nil {
		t.Errorf("SHA256/Size/Signature = %s/%d/%v", a.SHA256, a.Size, a.Signature)
	}
	var paths []string
	for _, f := range a.Files {
		paths = append(paths, f.Path)
	}
	if want := []string{"manifest.json", "private.txt", "server/bin/tool", "server/index.js"}; !slices.Equal(paths, want) {
		t.Errorf("Files %q, want %q", paths, want)
	}
	if _, err := a.Open("missing.js"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing) = %v", err)
	}
	if got := readEntry(t, a, "./server/index.js"); got != "console.log(1)" {
		t.Errorf("Open = %q", got)
	}

	dir := t.TempDir()
	if err := a.Extract(dir); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]fs.FileMode{
		"manifest.json": 0o644, "private.txt": 0o644, "server/bin/tool": 0o755, "server/index.js": 0o644,
		"server": fs.ModeDir | 0o755, "server/bin": fs.ModeDir | 0o755,
	} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode(), want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "server", "index.js")); string(b) != "console.log(1)" {
		t.Errorf("extracted %q", b)
	}

	if err := a.Extract(dir); err == nil || !strings.Contains(err.Error(), "directory is not empty") {
		t.Errorf("extract into non-empty dir: %v", err)
	}
	if err := a.Extract(filepath.Join(dir, "nope")); err == nil || !strings.Contains(err.Error(), "the target directory must exist") {
		t.Errorf("extract into missing dir: %v", err)
	}
}

// A header that understates an entry's size passes Read (the declared
// numbers are harmless) but must not get the real bytes past Extract.
func TestExtractCatchesLyingHeader(t *testing.T) {
	t.Parallel()
	body := make([]byte, 5<<20)
	data := buildZip(t, manifestEntry(t),
		zipEntry{name: "a.txt", body: []byte("fine")},
		zipEntry{name: "small.bin", body: body, declared: 1000},
	)
	a, err := readBytes(data, OpenOptions{})
	if err != nil {
		t.Fatalf("Read should trust the harmless declared sizes: %v", err)
	}
	dir := t.TempDir()
	err = a.Extract(dir)
	if err == nil || !strings.Contains(err.Error(), `entry "small.bin" holds more data than its header declares`) {
		t.Fatalf("Extract: %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("failed Extract left %v behind", left)
	}
	rc, err := a.Open("small.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err == nil || len(got) > 1000 {
		t.Errorf("Open read %d bytes, err %v", len(got), err)
	}
}

// Extract counts the bytes it writes against MaxUncompressed, whatever the
// headers say.
func TestExtractEnforcesTotalOnActualBytes(t *testing.T) {
	t.Parallel()
	data := buildZip(t, manifestEntry(t),
		zipEntry{name: "a.bin", body: bytes.Repeat([]byte{1}, 3000)},
		zipEntry{name: "b.bin", body: bytes.Repeat([]byte{2}, 3000)},
	)
	a, err := readBytes(data, OpenOptions{Limits: Limits{MaxUncompressed: 10000}})
	if err != nil {
		t.Fatal(err)
	}
	// Pretend the caps were tighter than what Read saw, as if the headers
	// had understated the sizes.
	a.limits.MaxUncompressed = 4000
	dir := t.TempDir()
	if err := a.Extract(dir); err == nil || !strings.Contains(err.Error(), "bundle expands to more than the limit of 4000 bytes") {
		t.Fatalf("Extract: %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("failed Extract left %v behind", left)
	}
}

func TestOpenStrictness(t *testing.T) {
	t.Parallel()
	m := baseManifest("0.1")
	m["privacy_policies"] = []any{}
	m["id"] = "x"
	m["version"] = "1.0"
	data := buildZip(t, zipEntry{name: ManifestFile, body: mustJSON(t, m)})
	path := filepath.Join(t.TempDir(), "b.mcpb")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}

	a, err := Open(path, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	assertProblems(t, "warnings", a.Warnings, []string{"privacy_policies: not allowed", `id: unknown key "id"`, `version: "1.0" is not a semantic version`})
	if err := a.Close(); err != nil {
		t.Error(err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	_, err = Open(path, OpenOptions{Strict: true})
	if err == nil || !strings.Contains(err.Error(), "open bundle "+path+": invalid manifest.json: privacy_policies: not allowed") {
		t.Errorf("strict: %v", err)
	}
	_, err = Open(path, OpenOptions{RequireSemver: true})
	if err == nil || !strings.Contains(err.Error(), `version: "1.0" is not a semantic version`) {
		t.Errorf("RequireSemver: %v", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.mcpb"), OpenOptions{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// Pack → Open → Extract gives back the tree that was packed.
func TestPackRoundTrip(t *testing.T) {
	t.Parallel()
	dir := bundleDir(t, nil, map[string]string{"server/run.sh*": "#!/bin/sh\n", "README.md": "# demo"})
	out := filepath.Join(t.TempDir(), "demo.mcpb")
	res, err := PackFile(dir, out, PackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := Open(out, OpenOptions{Strict: true, RequireSemver: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.SHA256 != res.SHA256 || a.Manifest.Name != "demo" || len(a.Files) != res.Files {
		t.Errorf("archive %+v does not match pack result %+v", a, res)
	}
	dest := t.TempDir()
	if err := a.Extract(dest); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"manifest.json", "package.json", "README.md", "server/index.js", "server/run.sh"} {
		want, _ := os.ReadFile(filepath.Join(dir, name))
		got, err := os.ReadFile(filepath.Join(dest, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %q, want %q (%v)", name, got, want, err)
		}
	}
	if fi, _ := os.Stat(filepath.Join(dest, "server", "run.sh")); fi.Mode().Perm() != 0o755 {
		t.Errorf("exec bit lost: %v", fi.Mode())
	}
}

func TestLimitsDefaultsAndDisabling(t *testing.T) {
	t.Parallel()
	if got := (Limits{MaxFiles: 5}).resolve(); got != (Limits{MaxFiles: 5, MaxUncompressed: 2 << 30, MaxRatio: 100, MaxArchiveRatio: 100, MaxManifest: 1 << 20}) {
		t.Errorf("resolve = %+v", got)
	}
	data := buildZip(t, manifestEntry(t), zipEntry{name: "zeros.bin", body: make([]byte, 5<<20)})
	if _, err := readBytes(data, OpenOptions{}); err == nil || !strings.Contains(err.Error(), "more than the 100:1 limit") {
		t.Fatalf("default ratio: %v", err)
	}
	a, err := readBytes(data, OpenOptions{Limits: Limits{MaxRatio: -1}})
	if err != nil {
		t.Fatalf("disabled ratio: %v", err)
	}
	if err := a.Extract(t.TempDir()); err != nil {
		t.Errorf("extract: %v", err)
	}
}
