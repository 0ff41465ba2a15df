package mcpb

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/mediatypes"
)

// writeTree creates files under dir; a name ending in "*" is made executable.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		mode := fs.FileMode(0o644)
		if strings.HasSuffix(name, "*") {
			name = strings.TrimSuffix(name, "*")
			mode = 0o755
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
}

// bundleDir returns a directory holding a valid node bundle.
func bundleDir(t *testing.T, mutate func(m map[string]any), extra map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	m := baseManifest("0.3")
	if mutate != nil {
		mutate(m)
	}
	files := map[string]string{
		"manifest.json":   string(mustJSON(t, m)),
		"server/index.js": "console.log('hello')\n",
		"package.json":    `{"name":"demo"}`,
	}
	for k, v := range extra {
		files[k] = v
	}
	writeTree(t, dir, files)
	return dir
}

func packBytes(t *testing.T, dir string, opts PackOptions) ([]byte, *PackResult) {
	t.Helper()
	var buf bytes.Buffer
	res, err := Pack(dir, &buf, opts)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	if res.SHA256 != hex.EncodeToString(sum[:]) || res.Size != int64(buf.Len()) {
		t.Fatalf("result %s/%d does not describe the %d bytes written", res.SHA256, res.Size, buf.Len())
	}
	return buf.Bytes(), res
}

func zipEntries(t *testing.T, data []byte) []*zip.File {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Comment != "" {
		t.Errorf("zip comment %q", zr.Comment)
	}
	return zr.File
}

func entryNames(files []*zip.File) []string {
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	return names
}

func TestPackReproducible(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"server/run.sh*": "#!/bin/sh\nexec node server/index.js\n",
		"a-b.txt":        "dash",
		"a.txt":          "dot",
		"a/b.txt":        "slash",
		"B.txt":          "upper",
		"lib/deep/x.js":  strings.Repeat("module.exports = 1;\n", 500),
	}
	dir := bundleDir(t, nil, files)
	first, res := packBytes(t, dir, PackOptions{})
	second, _ := packBytes(t, dir, PackOptions{})
	if !bytes.Equal(first, second) {
		t.Fatal("packing the same directory twice gave different bytes")
	}

	// A copy with other mtimes and permission noise packs identically.
	copyDir := bundleDir(t, nil, files)
	past := time.Date(2001, 2, 3, 4, 5, 6, 0, time.Local)
	filepath.WalkDir(copyDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if !d.IsDir() {
			info, _ := d.Info()
			if info.Mode()&0o100 != 0 {
				os.Chmod(p, 0o700) // owner-only exec: still "executable"
			} else {
				os.Chmod(p, 0o600)
			}
		}
		return os.Chtimes(p, past, past)
	})
	third, _ := packBytes(t, copyDir, PackOptions{})
	if !bytes.Equal(first, third) {
		t.Fatal("mtime/permission differences changed the bytes")
	}

	// PackFile writes the same bytes.
	out := filepath.Join(t.TempDir(), "demo.mcpb")
	fres, err := PackFile(dir, out, PackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, first) || fres.SHA256 != res.SHA256 {
		t.Fatal("PackFile and Pack disagree")
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o644 {
		t.Errorf("output mode %v, want 0644", fi.Mode().Perm())
	}

	entries := zipEntries(t, first)
	names := entryNames(entries)
	want := []string{"B.txt", "a-b.txt", "a.txt", "a/b.txt", "lib/deep/x.js", "manifest.json", "package.json", "server/index.js", "server/run.sh"}
	if !slices.Equal(names, want) {
		t.Errorf("entries %q, want %q (bytewise sorted, no directories)", names, want)
	}
	if res.Files != len(want) {
		t.Errorf("Files = %d, want %d", res.Files, len(want))
	}
	for _, f := range entries {
		wantMode := fs.FileMode(0o644)
		if f.Name == "server/run.sh" {
			wantMode = 0o755
		}
		if f.Mode() != wantMode {
			t.Errorf("%s: mode %v, want %v", f.Name, f.Mode(), wantMode)
		}
		if f.Method != zip.Deflate {
			t.Errorf("%s: method %d, want deflate", f.Name, f.Method)
		}
		if !f.Modified.Equal(dosEpoch) {
			t.Errorf("%s: modified %v, want %v", f.Name, f.Modified, dosEpoch)
		}
	}
}

func TestPackModTime(t *testing.T) {
	t.Parallel()
	dir := bundleDir(t, nil, nil)
	epoch, err := ParseSourceDateEpoch("1700000000")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := packBytes(t, dir, PackOptions{ModTime: epoch})
	want := time.Unix(1700000000, 0)
	for _, f := range zipEntries(t, data) {
		if !f.Modified.Equal(want) {
			t.Fatalf("%s: modified %v, want %v", f.Name, f.Modified, want.UTC())
		}
	}
	again, _ := packBytes(t, dir, PackOptions{ModTime: epoch})
	if !bytes.Equal(data, again) {
		t.Error("SOURCE_DATE_EPOCH packs are not reproducible")
	}
	if plain, _ := packBytes(t, dir, PackOptions{}); bytes.Equal(plain, data) {
		t.Error("no ModTime packs the same bytes as SOURCE_DATE_EPOCH's")
	}

	// An explicit ModTime in any zone.
	explicit := time.Date(2024, 5, 6, 7, 8, 10, 0, time.FixedZone("X", 5*3600))
	data, _ = packBytes(t, dir, PackOptions{ModTime: explicit})
	if f := zipEntries(t, data)[0]; !f.Modified.Equal(explicit) {
		t.Errorf("modified %v, want %v", f.Modified, explicit)
	}

	// Times a zip cannot hold are clamped.
	data, _ = packBytes(t, dir, PackOptions{ModTime: time.Unix(0, 0)})
	if f := zipEntries(t, data)[0]; !f.Modified.Equal(dosEpoch) {
		t.Errorf("modified %v, want %v", f.Modified, dosEpoch)
	}

	if _, err := ParseSourceDateEpoch("yesterday"); err == nil || !strings.Contains(err.Error(), `SOURCE_DATE_EPOCH="yesterday" is not a unix time`) {
		t.Errorf("bad SOURCE_DATE_EPOCH: %v", err)
	}
}

func TestPackIgnore(t *testing.T) {
	t.Parallel()
	dir := bundleDir(t, nil, map[string]string{
		".git/config":                        "[core]",
		".env":                               "SECRET=1",
		".env.production":                    "SECRET=2",
		"node_modules/.cache/x":              "cache",
		"node_modules/.bin/tool":             "bin",
		"node_modules/pkg/index.js":          "pkg",
		"node_modules/pkg/node_modules/a.js": "nested",
		"server/index.js.map":                "{}",
		"types/index.d.ts":                   "export {}",
		"package-lock.json":                  "{}",
		"tsconfig.json":                      "{}",
		"debug.log":                          "log",
		"keep.log":                           "kept",
		"old.mcpb":                           "zip",
		"build/out.js":                       "built",
		"notes.tmp":                          "tmp",
		"keep.tmp":                           "kept",
		"docs/a.md":                          "doc",
		"docs/sub/b.md":                      "doc",
		"secret1.txt":                        "s",
		"logs/keep.txt":                      "cannot re-include",
		".mcpbignore": strings.Join([]string{
			"# build output",
			"  build/  ",
			"*.tmp",
			"!keep.tmp",
			"!keep.log",
			"",
			"docs/*.md",
			"secret?.txt",
			"logs/",
			"!logs/keep.txt",
		}, "\n"),
	})
	data, res := packBytes(t, dir, PackOptions{})
	got := entryNames(zipEntries(t, data))
	want := []string{
		"docs/sub/b.md", "keep.log", "keep.tmp", "manifest.json",
		"node_modules/pkg/index.js", "node_modules/pkg/node_modules/a.js",
		"package.json", "server/index.js",
	}
	if !slices.Equal(got, want) {
		t.Errorf("entries\n got %q\nwant %q", got, want)
	}
	wantExcluded := []string{
		".env", ".env.production", ".git/", ".mcpbignore", "build/", "debug.log", "docs/a.md", "logs/",
		"node_modules/.bin/", "node_modules/.cache/", "notes.tmp", "old.mcpb", "package-lock.json",
		"secret1.txt", "server/index.js.map", "tsconfig.json", "types/index.d.ts",
	}
	if !slices.Equal(res.Excluded, wantExcluded) {
		t.Errorf("Excluded\n got %q\nwant %q", res.Excluded, wantExcluded)
	}
}

func TestPackEntryPoint(t *testing.T) {
	t.Parallel()
	dir := bundleDir(t, func(m map[string]any) { get(m, "server")["entry_point"] = "dist/index.js" }, nil)
	_, err := Pack(dir, io.Discard, PackOptions{})
	if err == nil || !strings.Contains(err.Error(), `server.entry_point "dist/index.js" does not exist`) {
		t.Errorf("missing entry point: %v", err)
	}

	dir = bundleDir(t, func(m map[string]any) { get(m, "server")["entry_point"] = "./build/index.js" },
		map[string]string{"build/index.js": "x", ".mcpbignore": "build/"})
	_, err = Pack(dir, io.Discard, PackOptions{})
	if err == nil || !strings.Contains(err.Error(), `is excluded by the ignore rules (matched build/); add "!build/index.js" to .mcpbignore`) {
		t.Errorf("excluded entry point: %v", err)
	}

	// A Python package directory is a fine entry point.
	dir = bundleDir(t, func(m map[string]any) {
		get(m, "server")["type"] = "python"
		get(m, "server")["entry_point"] = "server"
	}, nil)
	if _, err := Pack(dir, io.Discard, PackOptions{}); err != nil {
		t.Errorf("directory entry point: %v", err)
	}
}

func TestPackRejectsBadManifestBeforeWriting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		mutate func(m map[string]any)
		want   string
	}{
		{"unknown key", func(m map[string]any) { m["scripts"] = 1 }, `scripts: unknown key "scripts"`},
		{"non-semver", func(m map[string]any) { m["version"] = "1.0" }, `version: "1.0" is not a semantic version`},
		{"leading v", func(m map[string]any) { m["version"] = "v1.0.0" }, `drop the leading "v"`},
		{"missing author", func(m map[string]any) { delete(m, "author") }, "author: required field is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := bundleDir(t, tc.mutate, nil)
			var buf bytes.Buffer
			_, err := Pack(dir, &buf, PackOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Errorf("%d bytes written despite the error", buf.Len())
			}
			outDir := t.TempDir()
			if _, err := PackFile(dir, filepath.Join(outDir, "x.mcpb"), PackOptions{}); err == nil {
				t.Fatal("PackFile succeeded")
			}
			if left, _ := os.ReadDir(outDir); len(left) != 0 {
				t.Errorf("PackFile left %v behind", left)
			}
		})
	}

	_, err := Pack(t.TempDir(), io.Discard, PackOptions{})
	if err == nil || !strings.Contains(err.Error(), "no manifest.json in this directory: create one") {
		t.Errorf("missing manifest: %v", err)
	}
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"manifest.json": `{"name": }`})
	if _, err := Pack(dir, io.Discard, PackOptions{}); err == nil || !strings.Contains(err.Error(), "line 1, column 10") {
		t.Errorf("syntax error: %v", err)
	}
}

func TestPackFileOutputIsDirectory(t *testing.T) {
	t.Parallel()
	dir := bundleDir(t, nil, nil)
	out := t.TempDir()
	_, err := PackFile(dir, out, PackOptions{})
	if err == nil || !strings.Contains(err.Error(), "is a directory; pass a file path such as "+filepath.Join(out, "demo-1.0.0.mcpb")) {
		t.Errorf("got %v", err)
	}
	// The output may live inside the packed directory: the next pack must
	// not pick up the previous bundle or a temporary file.
	out = filepath.Join(dir, "demo.mcpb")
	first, err := PackFile(dir, out, PackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := PackFile(dir, out, PackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if first.Files != 3 || second.Files != 3 || first.SHA256 != second.SHA256 {
		t.Errorf("repacking next to the previous output changed the bundle: %+v vs %+v", first, second)
	}
	if !slices.Equal(second.Excluded, []string{"demo.mcpb"}) {
		t.Errorf("Excluded = %q", second.Excluded)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(left) != 0 {
		t.Errorf("temporary files left: %q", left)
	}
}

func TestPackPlatform(t *testing.T) {
	t.Parallel()
	dir := bundleDir(t, func(m map[string]any) {
		m["compatibility"] = map[string]any{"platforms": []any{"darwin", "win32"}}
	}, nil)
	for _, tc := range []struct {
		platform string
		want     string
	}{
		{"darwin/arm64", ""},
		{"windows/amd64", ""},
		{"win32/x64", ""},
		{"any", ""},
		{"linux/amd64", `platform linux/amd64 is not in compatibility.platforms [darwin, win32] of manifest.json: add "linux" there`},
	} {
		p, err := mediatypes.ParsePlatform(tc.platform)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Pack(dir, io.Discard, PackOptions{Platform: &p})
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: error %v, want %q", tc.platform, err, tc.want)
		}
	}
	// Without compatibility.platforms any platform is fine.
	p := mediatypes.Platform{OS: "linux", Arch: "arm64"}
	if _, err := Pack(bundleDir(t, nil, nil), io.Discard, PackOptions{Platform: &p}); err != nil {
		t.Error(err)
	}
}

func TestPackSymlinks(t *testing.T) {
	t.Parallel()
	dir := bundleDir(t, nil, map[string]string{"bin/tool*": "#!/bin/sh\n", "lib/real.js": "real"})
	if err := os.Symlink("../lib/real.js", filepath.Join(dir, "server", "link.js")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("bin/tool", filepath.Join(dir, "tool")); err != nil {
		t.Fatal(err)
	}
	data, _ := packBytes(t, dir, PackOptions{})
	a, err := Read(bytes.NewReader(data), int64(len(data)), OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range a.Files {
		switch f.Path {
		case "server/link.js":
			if got := readEntry(t, a, f.Path); got != "real" || f.Mode != 0o644 {
				t.Errorf("link stored as %q mode %v", got, f.Mode)
			}
		case "tool":
			if f.Mode != 0o755 {
				t.Errorf("link to executable stored with mode %v", f.Mode)
			}
		}
	}

	outside := filepath.Join(t.TempDir(), "secret.txt")
	writeTree(t, filepath.Dir(outside), map[string]string{"secret.txt": "secret"})
	for _, tc := range []struct {
		name   string
		target string
		want   string
	}{
		{"escaping", outside, "server/escape: symlink points outside the bundle directory"},
		{"dangling", "nowhere.js", "server/escape: symlink cannot be resolved (dangling?)"},
		{"directory", "../lib", "server/escape: symlink to a directory is not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := bundleDir(t, nil, map[string]string{"lib/real.js": "real"})
			link := filepath.Join(dir, "server", "escape")
			if err := os.Symlink(tc.target, link); err != nil {
				t.Fatal(err)
			}
			_, err := Pack(dir, io.Discard, PackOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), ".mcpbignore") {
				t.Fatalf("error %v, want %q and a fix", err, tc.want)
			}
			// An ignored link is no problem.
			writeTree(t, dir, map[string]string{".mcpbignore": "server/escape"})
			if _, err := Pack(dir, io.Discard, PackOptions{}); err != nil {
				t.Errorf("ignored link: %v", err)
			}
		})
	}
}

func TestPackRejectsBackslashNames(t *testing.T) {
	t.Parallel()
	dir := bundleDir(t, nil, map[string]string{`win\path.txt`: "x"})
	_, err := Pack(dir, io.Discard, PackOptions{})
	if err == nil || !strings.Contains(err.Error(), "contains a backslash") {
		t.Errorf("got %v", err)
	}
}

// TestPackIconChecks: pack applies the mcpb CLI's icon rules, naming the
// fix; an https icon and a PNG in the bundle pass.
func TestPackIconChecks(t *testing.T) {
	t.Parallel()
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
	for _, tc := range []struct {
		icon  string
		files map[string]string
		want  string
	}{
		{"icon.png", nil, `icon: "icon.png" is not in the bundle; add the PNG file or fix the path`},
		{"icon.svg", map[string]string{"icon.svg": "<svg/>"}, `icon: "icon.svg" is not a PNG file`},
		{"/icon.png", nil, `icon: "/icon.png" is an absolute path; use a path relative to the bundle root`},
		{"${__dirname}/icon.png", map[string]string{"icon.png": png}, `icon: "${__dirname}/icon.png" must not use ${__dirname}`},
		{"../icon.png", nil, `icon: "../icon.png" is not in the bundle`},
		{"icon.png", map[string]string{"icon.png": png}, ""},
		{"./assets/icon.png", map[string]string{"assets/icon.png": png}, ""},
		{"https://example.com/icon.png", nil, ""},
	} {
		dir := bundleDir(t, func(m map[string]any) { m["icon"] = tc.icon }, tc.files)
		_, err := Pack(dir, io.Discard, PackOptions{})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("icon %q: %v", tc.icon, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("icon %q: got %v, want %q", tc.icon, err, tc.want)
		}
	}
}

func TestDefaultFileName(t *testing.T) {
	t.Parallel()
	m := &Manifest{Name: "@acme/weather server", Version: "1.0.0+build.1"}
	for _, tc := range []struct {
		p    mediatypes.Platform
		want string
	}{
		{mediatypes.AnyPlatform, "acme-weather-server-1.0.0-build.1.mcpb"},
		{mediatypes.Platform{}, "acme-weather-server-1.0.0-build.1.mcpb"},
		{mediatypes.Platform{OS: "windows", Arch: "amd64"}, "acme-weather-server-1.0.0-build.1-windows-amd64.mcpb"},
		{mediatypes.Platform{OS: "linux", Arch: "any"}, "acme-weather-server-1.0.0-build.1-linux-any.mcpb"},
	} {
		if got := DefaultFileName(m, tc.p); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.p, got, tc.want)
		}
	}
	if got := DefaultFileName(&Manifest{Name: "../..", Version: "1.0.0"}, mediatypes.AnyPlatform); got != "bundle-1.0.0.mcpb" {
		t.Errorf("got %q", got)
	}
}

func TestPackManifestSymlink(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"manifest.json": string(mustJSON(t, baseManifest("0.3")))})
	dir := bundleDir(t, nil, nil)
	os.Remove(filepath.Join(dir, "manifest.json"))
	if err := os.Symlink(filepath.Join(outside, "manifest.json"), filepath.Join(dir, "manifest.json")); err != nil {
		t.Fatal(err)
	}
	_, err := Pack(dir, io.Discard, PackOptions{})
	if err == nil || !strings.Contains(err.Error(), "manifest.json: symlink points outside the bundle directory") {
		t.Errorf("got %v", err)
	}
	// A link to a manifest inside the bundle is fine.
	os.Remove(filepath.Join(dir, "manifest.json"))
	writeTree(t, dir, map[string]string{"meta/real.json": string(mustJSON(t, baseManifest("0.3")))})
	if err := os.Symlink("meta/real.json", filepath.Join(dir, "manifest.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := Pack(dir, io.Discard, PackOptions{}); err != nil {
		t.Error(err)
	}
}

func TestPackWarnsAboutReaderLimits(t *testing.T) {
	t.Parallel()
	p := &packPlan{}
	for i := range DefaultLimits().MaxFiles + 1 {
		p.files = append(p.files, packFile{rel: strconv.Itoa(i), size: 1 << 20})
	}
	p.checkLimits()
	assertProblems(t, "warnings", p.warnings, []string{
		"the bundle has 50001 files; readers refuse more than 50000 by default",
		"the bundle expands to 52429848576 bytes; readers refuse more than 2147483648 by default",
	})

	p = &packPlan{files: []packFile{{rel: "a", size: 40 << 20}}}
	p.checkArchiveRatio(500 << 10) // 82:1
	p.checkArchiveRatio(300 << 10) // 136:1
	if len(p.warnings) != 1 {
		t.Errorf("warnings %q, want one for 136:1", p.warnings)
	}
	assertProblems(t, "warnings", p.warnings, []string{
		"the bundle expands from 307200 to 41943040 bytes; readers refuse more than 100:1 by default",
	})
}
