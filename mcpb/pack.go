package mcpb

import (
	"archive/zip"
	"compress/flate"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mpak-oci/mpak/mediatypes"
)

// ManifestFile is the name of the manifest at the root of every bundle.
const ManifestFile = "manifest.json"

// PackOptions tune Pack.
type PackOptions struct {
	// ModTime is stamped on every entry. Zero means 1980-01-01T00:00:00Z:
	// never "now", so the same tree always packs to the same bytes and the
	// same digest. The CLI sets it from SOURCE_DATE_EPOCH
	// (ParseSourceDateEpoch).
	ModTime time.Time
	// Platform is the build's target. When its OS is set and manifest.json
	// lists compatibility.platforms, the OS must be among them.
	Platform *mediatypes.Platform
}

// PackResult describes a packed bundle.
type PackResult struct {
	Manifest *Manifest
	Warnings []Problem
	Files    int    // entries in the zip
	Size     int64  // bytes written
	SHA256   string // hex digest of the bytes written
	// Excluded lists the paths left out by the ignore rules, relative to
	// the bundle root; directories end in "/" and were not descended into.
	Excluded []string
}

// dosEpoch is the earliest time a zip (MS-DOS) timestamp can hold.
var dosEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// latestZipTime is the last second the zip extended timestamp (uint32 unix
// seconds) can hold.
var latestZipTime = time.Unix(1<<32-1, 0).UTC()

// maxPackedManifest mirrors the default read limit so that a bundle we pack
// is always one we can open again.
const maxPackedManifest = 1 << 20

// Pack validates dir/manifest.json strictly and writes dir as a
// reproducible .mcpb zip to w. Nothing is written when validation fails.
func Pack(dir string, w io.Writer, opts PackOptions) (*PackResult, error) {
	p, err := planPack(dir, opts)
	if err != nil {
		return nil, err
	}
	return p.write(w)
}

// PackFile packs dir into the file out. It writes a temporary file next to
// out and renames it into place, so out is either the complete bundle or
// untouched.
func PackFile(dir, out string, opts PackOptions) (res *PackResult, err error) {
	p, err := planPack(dir, opts)
	if err != nil {
		return nil, err
	}
	if fi, statErr := os.Stat(out); statErr == nil && fi.IsDir() {
		return nil, fmt.Errorf("pack %s: output %s is a directory; pass a file path such as %s",
			dir, out, filepath.Join(out, DefaultFileName(p.manifest, platformOrAny(opts.Platform))))
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("pack %s: create output: %w", dir, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if res, err = p.write(tmp); err != nil {
		return nil, err
	}
	if err = tmp.Sync(); err != nil {
		return nil, fmt.Errorf("pack %s: write %s: %w", dir, out, err)
	}
	if err = tmp.Close(); err != nil {
		return nil, fmt.Errorf("pack %s: write %s: %w", dir, out, err)
	}
	// CreateTemp makes the file 0600; a bundle is not a secret.
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return nil, fmt.Errorf("pack %s: %w", dir, err)
	}
	if err = os.Rename(tmp.Name(), out); err != nil {
		return nil, fmt.Errorf("pack %s: move into place: %w", dir, err)
	}
	return res, nil
}

// DefaultFileName is "<name>-<version>.mcpb", or
// "<name>-<version>-<os>-<arch>.mcpb" for a platform-specific build, with
// every character outside [A-Za-z0-9._-] replaced so that the name is safe
// on every file system and as an OCI title annotation.
func DefaultFileName(m *Manifest, p mediatypes.Platform) string {
	name := sanitizeFileName(m.Name)
	if name == "" {
		name = "bundle"
	}
	parts := []string{name}
	if v := sanitizeFileName(m.Version); v != "" {
		parts = append(parts, v)
	}
	if !p.IsAny() {
		goos, goarch := p.OS, p.Arch
		if goos == "" {
			goos = mediatypes.Any
		}
		if goarch == "" {
			goarch = mediatypes.Any
		}
		parts = append(parts, sanitizeFileName(goos), sanitizeFileName(goarch))
	}
	return strings.Join(parts, "-") + ".mcpb"
}

func sanitizeFileName(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if ok {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	// Leading dots would hide the file; "@scope/name" should not start
	// with a dash either.
	return strings.Trim(b.String(), ".-")
}

func platformOrAny(p *mediatypes.Platform) mediatypes.Platform {
	if p == nil {
		return mediatypes.AnyPlatform
	}
	return *p
}

// packFile is one entry to write.
type packFile struct {
	rel  string // slash path inside the zip
	src  string // file to read; empty when data is set
	data []byte
	mode fs.FileMode // 0644 or 0755
	size int64       // at planning time, for the limit warnings
}

type packPlan struct {
	dir      string
	manifest *Manifest
	warnings []Problem
	files    []packFile
	excluded []string
	modTime  time.Time
}

func planPack(dir string, opts PackOptions) (*packPlan, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("pack %s: "+format, append([]any{dir}, args...)...)
	}
	root, err := filepath.Abs(dir)
	if err == nil {
		root, err = filepath.EvalSymlinks(root)
	}
	if err != nil {
		return nil, fail("%w", err)
	}
	if fi, err := os.Stat(root); err != nil {
		return nil, fail("%w", err)
	} else if !fi.IsDir() {
		return nil, fail("not a directory (pass the bundle's root directory, the one holding %s)", ManifestFile)
	}

	modTime, err := resolveModTime(opts.ModTime)
	if err != nil {
		return nil, fail("%w", err)
	}

	raw, err := readManifestFile(root)
	if err != nil {
		return nil, fail("%w", err)
	}
	m, warnings, err := ParseManifest(raw, ParseOptions{Strict: true, RequireSemver: true})
	if err != nil {
		return nil, fail("%w", err)
	}
	if err := checkPlatform(m, opts.Platform); err != nil {
		return nil, fail("%w", err)
	}

	extra, err := readIgnoreFile(root)
	if err != nil {
		return nil, fail("%w", err)
	}
	p := &packPlan{dir: dir, manifest: m, warnings: warnings, modTime: modTime}
	// manifest.json is written from the bytes just validated, whatever the
	// ignore rules say: the zip and the OCI config must hold the same bytes.
	p.files = append(p.files, packFile{rel: ManifestFile, data: raw, mode: 0o644, size: int64(len(raw))})
	w := &packWalker{root: root, ignore: newIgnoreMatcher(append(slices.Clone(DefaultIgnorePatterns), extra...)...), plan: p}
	if err := w.walk(""); err != nil {
		return nil, fail("%w", err)
	}
	slices.SortFunc(p.files, func(a, b packFile) int { return strings.Compare(a.rel, b.rel) })
	slices.Sort(p.excluded)

	if err := p.checkEntryPoint(); err != nil {
		return nil, fail("%w", err)
	}
	if err := p.checkIcon(); err != nil {
		return nil, fail("%w", err)
	}
	p.checkLimits()
	return p, nil
}

// ReadManifestDir reads and leniently parses DIR/manifest.json, e.g. to name
// the output before packing (which then validates strictly).
func ReadManifestDir(dir string) (*Manifest, error) {
	b, err := readManifestFile(dir)
	if err != nil {
		return nil, err
	}
	m, _, err := ParseManifest(b, ParseOptions{})
	return m, err
}

func readManifestFile(root string) ([]byte, error) {
	name := filepath.Join(root, ManifestFile)
	fi, err := os.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no %s in this directory: create one (mcpb init writes a starter; see https://github.com/modelcontextprotocol/mcpb/blob/main/MANIFEST.md) or pass the bundle's root directory", ManifestFile)
	}
	if err != nil {
		return nil, err
	}
	// The same link rules as for every other file: the manifest must not
	// come from outside the bundle.
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		f, err := resolveLink(root, ManifestFile, name)
		if err != nil {
			return nil, err
		}
		name = f.src
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("%s is not a regular file", ManifestFile)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPackedManifest+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ManifestFile, err)
	}
	if len(data) > maxPackedManifest {
		return nil, fmt.Errorf("%s is larger than %d bytes, which readers refuse; move long text out of it", ManifestFile, maxPackedManifest)
	}
	return data, nil
}

// resolveModTime picks the entry timestamp and clamps it to what a zip can
// hold. UTC matters: archive/zip encodes the DOS time in the time's own
// zone, which would make the bytes depend on the packing host's TZ.
func resolveModTime(t time.Time) (time.Time, error) {
	if t.IsZero() {
		t = dosEpoch
	}
	t = t.UTC().Truncate(time.Second)
	if t.Before(dosEpoch) {
		t = dosEpoch
	}
	if t.After(latestZipTime) {
		t = latestZipTime
	}
	return t, nil
}

// mcpbOSName maps GOOS back to the Node name compatibility.platforms uses.
func mcpbOSName(goos string) string {
	if goos == "windows" {
		return "win32"
	}
	return goos
}

func checkPlatform(m *Manifest, p *mediatypes.Platform) error {
	if p == nil || p.OS == "" || p.OS == mediatypes.Any {
		return nil
	}
	if m.Compatibility == nil || len(m.Compatibility.Platforms) == 0 {
		return nil
	}
	for _, allowed := range m.Compatibility.Platforms {
		if mediatypes.NormalizeOS(allowed) == p.OS {
			return nil
		}
	}
	return fmt.Errorf("platform %s is not in compatibility.platforms [%s] of %s: add %q there or pack for one of the listed platforms",
		p, strings.Join(m.Compatibility.Platforms, ", "), ManifestFile, mcpbOSName(p.OS))
}

type packWalker struct {
	root   string
	ignore *ignoreMatcher
	plan   *packPlan
}

// walk adds the files under rel (a slash path, "" for the root).
func (w *packWalker) walk(rel string) error {
	entries, err := os.ReadDir(filepath.Join(w.root, filepath.FromSlash(rel)))
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := path.Join(rel, e.Name())
		if name == ManifestFile {
			continue
		}
		if w.ignore.ignored(name, e.IsDir()) {
			if e.IsDir() {
				w.plan.excluded = append(w.plan.excluded, name+"/")
			} else {
				w.plan.excluded = append(w.plan.excluded, name)
			}
			continue
		}
		if err := checkEntryName(name); err != nil {
			return err
		}
		abs := filepath.Join(w.root, filepath.FromSlash(name))
		switch typ := e.Type(); {
		case typ.IsDir():
			if err := w.walk(name); err != nil {
				return err
			}
		case typ.IsRegular():
			fi, err := e.Info()
			if err != nil {
				return err
			}
			w.plan.files = append(w.plan.files, packFile{rel: name, src: abs, mode: normalizeMode(fi.Mode()), size: fi.Size()})
		case typ&fs.ModeSymlink != 0:
			f, err := resolveLink(w.root, name, abs)
			if err != nil {
				return err
			}
			w.plan.files = append(w.plan.files, f)
		default:
			return fmt.Errorf("%s: not a regular file (%s); remove it or add it to %s", name, typ.Type(), IgnoreFile)
		}
	}
	return nil
}

// resolveLink stores a symlink as the content of the file it points to. Links
// are refused when they would make the bundle depend on the packing host:
// targets outside the bundle, dangling links and directories (which could
// loop and would duplicate trees).
func resolveLink(root, name, abs string) (packFile, error) {
	target, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return packFile{}, fmt.Errorf("%s: symlink cannot be resolved (dangling?): %w; fix the link, replace it with the file, or add it to %s", name, err, IgnoreFile)
	}
	inside, err := filepath.Rel(root, target)
	if err != nil || !filepath.IsLocal(inside) {
		return packFile{}, fmt.Errorf("%s: symlink points outside the bundle directory (to %s); copy the file into the bundle or add the link to %s", name, target, IgnoreFile)
	}
	fi, err := os.Stat(target)
	if err != nil {
		return packFile{}, fmt.Errorf("%s: %w", name, err)
	}
	switch {
	case fi.IsDir():
		return packFile{}, fmt.Errorf("%s: symlink to a directory is not supported; replace it with the directory itself or add it to %s", name, IgnoreFile)
	case !fi.Mode().IsRegular():
		return packFile{}, fmt.Errorf("%s: symlink target %s is not a regular file (%s); remove it or add it to %s", name, inside, fi.Mode().Type(), IgnoreFile)
	}
	return packFile{rel: name, src: target, mode: normalizeMode(fi.Mode()), size: fi.Size()}, nil
}

// checkEntryName refuses names that Read would refuse, so that every bundle
// Pack writes can be opened again anywhere.
func checkEntryName(name string) error {
	switch {
	case strings.Contains(name, `\`):
		return fmt.Errorf("%q: file name contains a backslash, which zip readers treat as a directory separator; rename it or add it to %s", name, IgnoreFile)
	case !utf8.ValidString(name):
		return fmt.Errorf("%q: file name is not valid UTF-8; rename it or add it to %s", name, IgnoreFile)
	}
	return nil
}

// normalizeMode keeps only "executable or not": owner, group and umask
// differences between machines must not change the bytes.
func normalizeMode(m fs.FileMode) fs.FileMode {
	if m&0o111 != 0 {
		return 0o755
	}
	return 0o644
}

func (p *packPlan) has(rel string) bool {
	_, found := slices.BinarySearchFunc(p.files, rel, func(f packFile, t string) int { return strings.Compare(f.rel, t) })
	return found
}

// hasUnder reports whether a packed file lives under directory rel.
func (p *packPlan) hasUnder(rel string) bool {
	prefix := rel + "/"
	i, _ := slices.BinarySearchFunc(p.files, prefix, func(f packFile, t string) int { return strings.Compare(f.rel, t) })
	return i < len(p.files) && strings.HasPrefix(p.files[i].rel, prefix)
}

// cleanBundlePath turns a manifest path ("./server/index.js") into a zip
// entry name, or "" when it cannot name one.
func cleanBundlePath(s string) string {
	s = strings.ReplaceAll(s, `\`, "/")
	s = strings.TrimPrefix(s, "${__dirname}/")
	if path.IsAbs(s) {
		return ""
	}
	s = path.Clean(s)
	if s == "." || s == ".." || strings.HasPrefix(s, "../") {
		return ""
	}
	return s
}

func (p *packPlan) checkEntryPoint() error {
	ep := p.manifest.Server.EntryPoint
	rel := cleanBundlePath(ep)
	if rel == "" {
		return fmt.Errorf("server.entry_point %q must be a path inside the bundle, such as server/index.js", ep)
	}
	if p.has(rel) || p.hasUnder(rel) {
		return nil
	}
	for _, ex := range p.excluded {
		if ex == rel || (strings.HasSuffix(ex, "/") && strings.HasPrefix(rel, ex)) {
			return fmt.Errorf("server.entry_point %q is excluded by the ignore rules (matched %s); add \"!%s\" to %s", ep, ex, rel, IgnoreFile)
		}
	}
	return fmt.Errorf("server.entry_point %q does not exist in %s; build the server first or fix the path", ep, p.dir)
}

// checkLimits warns when readers using DefaultLimits would refuse the
// bundle: better to learn it at pack time than from every user.
func (p *packPlan) checkLimits() {
	lim := DefaultLimits()
	if len(p.files) > lim.MaxFiles {
		p.warnings = append(p.warnings, Problem{Warning: true, Message: fmt.Sprintf(
			"the bundle has %d files; readers refuse more than %d by default (exclude what the server does not need in %s)", len(p.files), lim.MaxFiles, IgnoreFile)})
	}
	var total int64
	for _, f := range p.files {
		total += f.size
	}
	if total > lim.MaxUncompressed {
		p.warnings = append(p.warnings, Problem{Warning: true, Message: fmt.Sprintf(
			"the bundle expands to %d bytes; readers refuse more than %d by default (exclude what the server does not need in %s)", total, lim.MaxUncompressed, IgnoreFile)})
	}
}

// checkArchiveRatio warns when readers using DefaultLimits would refuse the
// zip of size bytes just written for expanding too much; only the written
// zip tells how well the files compressed.
func (p *packPlan) checkArchiveRatio(size int64) {
	var total uint64
	for _, f := range p.files {
		total += uint64(f.size)
	}
	if err := checkArchiveRatio(total, size, DefaultLimits().MaxArchiveRatio); err != nil {
		p.warnings = append(p.warnings, Problem{Warning: true, Message: fmt.Sprintf(
			"the bundle expands from %d to %d bytes; readers refuse more than %d:1 by default (exclude what the server does not need in %s)",
			size, total, DefaultLimits().MaxArchiveRatio, IgnoreFile)})
	}
}

// write emits the zip. Everything that could vary between hosts is fixed:
// entry order (bytewise by path), timestamps (UTC), modes (0644/0755),
// compression level, no directory entries and no comment. The only
// extra field is the extended timestamp archive/zip derives from ModTime.
func (p *packPlan) write(w io.Writer) (*PackResult, error) {
	h := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(w, h)}
	zw := zip.NewWriter(cw)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestCompression)
	})
	for _, f := range p.files {
		if err := p.writeEntry(zw, f); err != nil {
			return nil, fmt.Errorf("pack %s: %s: %w", p.dir, f.rel, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("pack %s: %w", p.dir, err)
	}
	p.checkArchiveRatio(cw.n)
	return &PackResult{
		Manifest: p.manifest,
		Warnings: p.warnings,
		Files:    len(p.files),
		Size:     cw.n,
		SHA256:   hex.EncodeToString(h.Sum(nil)),
		Excluded: p.excluded,
	}, nil
}

func (p *packPlan) writeEntry(zw *zip.Writer, f packFile) error {
	fh := &zip.FileHeader{Name: f.rel, Method: zip.Deflate, Modified: p.modTime}
	fh.SetMode(f.mode)
	dst, err := zw.CreateHeader(fh)
	if err != nil {
		return err
	}
	if f.src == "" {
		_, err = dst.Write(f.data)
		return err
	}
	src, err := os.Open(f.src)
	if err != nil {
		return err
	}
	defer src.Close()
	_, err = io.Copy(dst, src)
	return err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}
