package mcpb

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits cap what a bundle may make us read or write. Bundles come from
// strangers; without caps a few KiB of zip can fill a disk. A zero field
// means the value set in $MPAK_ARCHIVE_LIMITS, else the default; a negative
// one disables that cap.
type Limits struct {
	// MaxFiles caps the number of zip entries.
	MaxFiles int
	// MaxUncompressed caps the total uncompressed size, both as declared
	// in the zip and as actually extracted.
	MaxUncompressed int64
	// MaxRatio caps uncompressed/compressed size per entry. It is only
	// applied to entries larger than 1 MiB: small text files legitimately
	// compress very well.
	MaxRatio int
	// MaxArchiveRatio caps the total uncompressed size over the size of the
	// zip itself. It is only applied once the total passes 32 MiB, so a
	// small bundle of text is never refused for compressing well. Per-entry
	// checks alone let a bomb through as many entries under 1 MiB each, and
	// entries that share compressed bytes; the zip's real size on disk is
	// the one figure a crafted header cannot inflate.
	MaxArchiveRatio int
	// MaxManifest caps the size of manifest.json.
	MaxManifest int64
}

// ratioFloor is the entry size below which MaxRatio is not applied.
const ratioFloor = 1 << 20

// archiveRatioFloor is the total uncompressed size below which
// MaxArchiveRatio is not applied: whatever its ratio, an archive cannot
// expand to more than this, which no disk notices.
const archiveRatioFloor = 32 << 20

// EnvLimits names the environment variable that changes the default
// Limits, e.g. "files=100000,size=4GiB,ratio=200": the way to open a
// trusted bundle that a cap refuses. Keys are files, size, entry-ratio,
// ratio (the whole archive's) and manifest; "off" disables a cap.
const EnvLimits = "MPAK_ARCHIVE_LIMITS"

// DefaultLimits returns 50,000 files, 2 GiB uncompressed, a 100:1 ratio per
// entry and for the whole archive, and a 1 MiB manifest: far above real
// bundles (the largest the mcpb CLI is known to pack expand to 830 MB in
// 18,769 files; code and native binaries compress a few to one), far below
// harm. A bomb must be at least a hundredth of what it expands to, so
// filling 2 GiB of disk costs its author a 20 MiB download.
func DefaultLimits() Limits {
	return Limits{MaxFiles: 50000, MaxUncompressed: 2 << 30, MaxRatio: 100, MaxArchiveRatio: 100, MaxManifest: 1 << 20}
}

// resolve fills each zero field from $MPAK_ARCHIVE_LIMITS, then from
// DefaultLimits, so that callers can raise one cap without restating the
// others and users can raise one without a code change.
func (l Limits) resolve() (Limits, error) {
	env, err := ParseLimits(os.Getenv(EnvLimits))
	if err != nil {
		return l, fmt.Errorf("$%s: %w", EnvLimits, err)
	}
	return l.or(env).or(DefaultLimits()), nil
}

// or fills each zero field of l from d.
func (l Limits) or(d Limits) Limits {
	if l.MaxFiles == 0 {
		l.MaxFiles = d.MaxFiles
	}
	if l.MaxUncompressed == 0 {
		l.MaxUncompressed = d.MaxUncompressed
	}
	if l.MaxRatio == 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.MaxArchiveRatio == 0 {
		l.MaxArchiveRatio = d.MaxArchiveRatio
	}
	if l.MaxManifest == 0 {
		l.MaxManifest = d.MaxManifest
	}
	return l
}

// ParseLimits reads the format of $MPAK_ARCHIVE_LIMITS: comma-separated
// key=value pairs, where a size may end in KB, MB, GB (powers of 1000) or
// KiB, MiB, GiB, and "off" disables a cap. Keys left out stay zero.
func ParseLimits(s string) (Limits, error) {
	var l Limits
	for kv := range strings.SplitSeq(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || v == "" {
			return Limits{}, fmt.Errorf("%q: want key=value, e.g. files=100000,size=4GiB,ratio=200", kv)
		}
		n, err := parseLimitValue(v)
		if err != nil {
			return Limits{}, fmt.Errorf("%s: %w", k, err)
		}
		switch k {
		case "files":
			l.MaxFiles = int(min(n, 1<<31-1))
		case "size":
			l.MaxUncompressed = n
		case "entry-ratio":
			l.MaxRatio = int(min(n, 1<<31-1))
		case "ratio":
			l.MaxArchiveRatio = int(min(n, 1<<31-1))
		case "manifest":
			l.MaxManifest = n
		default:
			return Limits{}, fmt.Errorf("unknown key %q: want files, size, entry-ratio, ratio or manifest", k)
		}
	}
	return l, nil
}

var sizeSuffixes = []struct {
	suffix string
	mult   int64
}{
	// Longest first, so that "MiB" is not taken for "B".
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1},
}

// parseLimitValue reads a positive count or size, or "off" (-1).
func parseLimitValue(v string) (int64, error) {
	if v == "off" {
		return -1, nil
	}
	mult := int64(1)
	for _, s := range sizeSuffixes {
		if num, ok := strings.CutSuffix(v, s.suffix); ok {
			v, mult = strings.TrimSpace(num), s.mult
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is not a positive number (or \"off\")", v)
	}
	return n * mult, nil
}

// raise tells the user how to lift the cap named key to need, the least
// value this bundle requires, should they trust it.
func raise(key string, need uint64) string {
	return fmt.Sprintf("if you trust this bundle, raise the limit: %s=%s=%d", EnvLimits, key, need)
}

// declaredTotal sums the sizes the entries declare, for the hint of an
// error that stopped summing early.
func declaredTotal(zr *zip.Reader) uint64 {
	var n uint64
	for _, f := range zr.File {
		n += f.UncompressedSize64
	}
	return n
}

// OpenOptions tune Open and Read.
type OpenOptions struct {
	// Strict and RequireSemver are passed to ParseManifest. Both default
	// to false: a bundle someone else published should open even when
	// it carries keys this version does not know.
	Strict        bool
	RequireSemver bool
	// Limits apply to the archive; zero fields mean DefaultLimits.
	Limits Limits
	// VerifiedSHA256 is the file's sha256 when the caller has just checked
	// it (a download through a digest-verifying reader); Read then reports it
	// instead of reading the whole file a second time.
	VerifiedSHA256 string
}

// File is a regular file in a bundle.
type File struct {
	Path           string // slash path relative to the bundle root
	Size           int64  // uncompressed size as declared
	CompressedSize int64
	// Mode is the mode Extract gives the file: 0755 when the archive marks
	// it executable, else 0644.
	Mode fs.FileMode
	// Modified is the entry's timestamp; reproducible packs fix it.
	Modified time.Time `json:"-"`
}

// Archive is an opened bundle. Its entries have been checked for unsafe
// names and sizes, and its manifest has been validated.
type Archive struct {
	Manifest *Manifest
	Warnings []Problem
	Files    []File // sorted by Path
	// Signature is the MCPB signature trailer, nil when unsigned. The zip
	// is read without it.
	Signature *Signature
	Size      int64  // bytes of the whole file, trailer included
	SHA256    string // hex digest of the whole file as stored

	limits  Limits
	entries map[string]*zip.File
	closer  io.Closer
}

// Open opens and checks the bundle at path. The caller must Close it.
func Open(path string, opts OpenOptions) (*Archive, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open bundle: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open bundle: %w", err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("open bundle %s: not a regular file", path)
	}
	a, err := Read(f, fi.Size(), opts)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open bundle %s: %w", path, err)
	}
	a.closer = f
	return a, nil
}

// Read checks the bundle held in the first size bytes of r. r must stay
// readable until the Archive is no longer used.
func Read(r io.ReaderAt, size int64, opts OpenOptions) (*Archive, error) {
	if size < 0 {
		return nil, fmt.Errorf("negative size %d", size)
	}
	lim, err := opts.Limits.resolve()
	if err != nil {
		return nil, err
	}
	sig, err := FindSignature(r, size)
	if err != nil {
		return nil, err
	}
	view, zsize, err := zipView(r, size, sig)
	if err != nil {
		return nil, fmt.Errorf("read bundle: %w", err)
	}
	zr, err := zip.NewReader(view, zsize)
	// ErrInsecurePath comes with a usable reader (GODEBUG=zipinsecurepath=0);
	// checkEntries reports the offending name itself, more precisely.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("not a zip archive (is it an .mcpb file?): %w", err)
	}
	if err := checkNoPrefix(view, zr); err != nil {
		return nil, err
	}
	a := &Archive{Signature: sig, Size: size, limits: lim}
	if err := a.checkEntries(zr, zsize); err != nil {
		return nil, err
	}
	if err := a.readManifest(opts); err != nil {
		return nil, err
	}
	if opts.VerifiedSHA256 != "" {
		a.SHA256 = opts.VerifiedSHA256
		return a, nil
	}
	// Hash last: it reads the whole file, which is wasted on a bundle that
	// fails the cheap checks above.
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, size)); err != nil {
		return nil, fmt.Errorf("read bundle: %w", err)
	}
	a.SHA256 = hex.EncodeToString(h.Sum(nil))
	return a, nil
}

// Close releases the file opened by Open. It is safe to call twice.
func (a *Archive) Close() error {
	if a.closer == nil {
		return nil
	}
	err := a.closer.Close()
	a.closer = nil
	return err
}

// Open returns the content of the regular file name (a slash path). Reading
// fails if the entry holds more data than its header declares.
func (a *Archive) Open(name string) (io.ReadCloser, error) {
	name = path.Clean(strings.TrimPrefix(name, "./"))
	f, ok := a.entries[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w in bundle", name, fs.ErrNotExist)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &entryReader{rc: rc, name: name, left: int64(f.UncompressedSize64)}, nil
}

var drivePrefix = regexp.MustCompile(`^[A-Za-z]:`)

// checkEntryPath rejects names that could write outside the extraction
// directory or mean different files on different systems.
func checkEntryPath(name string) string {
	trimmed := strings.TrimSuffix(name, "/")
	switch {
	case trimmed == "":
		return "has an empty name"
	case strings.ContainsRune(name, 0):
		return "has a NUL byte in its name"
	case strings.Contains(name, `\`):
		return "has a backslash in its name (Windows readers treat it as a directory separator)"
	case strings.HasPrefix(name, "/") || drivePrefix.MatchString(name):
		return "has an absolute path"
	case slices.Contains(strings.Split(trimmed, "/"), ".."):
		return "has a \"..\" path component (path traversal)"
	case path.Clean(trimmed) != trimmed:
		return "has a non-canonical path (empty or \".\" components)"
	case !utf8.ValidString(name):
		return "has a name that is not valid UTF-8"
	}
	return ""
}

// checkEntries checks the entries' names and declared sizes; zsize is the
// size of the zip. The declared sizes bound what extraction writes (see
// entryReader), so a bundle refused here has not written a byte.
func (a *Archive) checkEntries(zr *zip.Reader, zsize int64) error {
	lim := a.limits
	if lim.MaxFiles > 0 && len(zr.File) > lim.MaxFiles {
		return fmt.Errorf("archive has %d entries, more than the limit of %d (%s)", len(zr.File), lim.MaxFiles, raise("files", uint64(len(zr.File))))
	}
	a.entries = make(map[string]*zip.File, len(zr.File))
	dirs := make(map[string]bool)
	var total uint64
	for _, f := range zr.File {
		if why := checkEntryPath(f.Name); why != "" {
			return fmt.Errorf("unsafe entry %q: it %s; refusing to open the bundle", f.Name, why)
		}
		mode := f.Mode()
		name := strings.TrimSuffix(f.Name, "/")
		switch {
		case mode&fs.ModeSymlink != 0:
			return fmt.Errorf("unsafe entry %q: symlinks are not allowed in bundles (the publisher should store the file itself)", f.Name)
		case strings.HasSuffix(f.Name, "/") || mode.IsDir():
			// Directory entries are optional in zips; Extract creates
			// parents as needed, so they carry no information.
			dirs[name] = true
			continue
		case !mode.IsRegular():
			return fmt.Errorf("unsafe entry %q: a %s, not a regular file", f.Name, mode.Type())
		}
		if _, dup := a.entries[name]; dup {
			return fmt.Errorf("duplicate entry %q: the archive holds two files with this name", f.Name)
		}
		a.entries[name] = f

		size, csize := f.UncompressedSize64, f.CompressedSize64
		if lim.MaxUncompressed > 0 && (size > uint64(lim.MaxUncompressed) || total+size > uint64(lim.MaxUncompressed)) {
			return fmt.Errorf("archive expands to more than the limit of %d bytes (at entry %q, %d bytes); refusing a possible zip bomb (%s)", lim.MaxUncompressed, f.Name, size, raise("size", declaredTotal(zr)))
		}
		total += size
		if lim.MaxRatio > 0 && size > ratioFloor && (csize == 0 || size/csize > uint64(lim.MaxRatio)) {
			return fmt.Errorf("entry %q expands from %d to %d bytes, more than the %d:1 limit; refusing a possible zip bomb (%s)", f.Name, csize, size, lim.MaxRatio, raise("entry-ratio", size/max(csize, 1)+1))
		}
		a.Files = append(a.Files, File{
			Path:           name,
			Size:           int64(size),
			CompressedSize: int64(csize),
			Mode:           normalizeMode(mode),
			Modified:       f.Modified,
		})
	}
	if err := checkArchiveRatio(total, zsize, lim.MaxArchiveRatio); err != nil {
		return err
	}
	// A name used both as a file and as a directory cannot be extracted and
	// suggests a crafted archive.
	for name := range a.entries {
		if dirs[name] {
			return fmt.Errorf("entry %q is both a file and a directory", name)
		}
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			if _, isFile := a.entries[dir]; isFile {
				return fmt.Errorf("entry %q is inside %q, which is a file", name, dir)
			}
		}
	}
	slices.SortFunc(a.Files, func(x, y File) int { return strings.Compare(x.Path, y.Path) })
	return nil
}

// checkArchiveRatio refuses total uncompressed bytes from a zip of zsize
// bytes that expand more than limit:1, once past archiveRatioFloor.
func checkArchiveRatio(total uint64, zsize int64, limit int) error {
	if limit <= 0 || total <= archiveRatioFloor {
		return nil
	}
	// Dividing first keeps the product from overflowing.
	if zsize <= 0 || total/uint64(zsize) >= uint64(limit) && total > uint64(zsize)*uint64(limit) {
		return fmt.Errorf("archive of %d bytes expands to %d bytes (%d:1), more than the %d:1 limit for a whole archive; refusing a possible zip bomb (%s)",
			zsize, total, total/uint64(max(zsize, 1)), limit, raise("ratio", total/uint64(max(zsize, 1))+1))
	}
	return nil
}

func (a *Archive) readManifest(opts OpenOptions) error {
	f, ok := a.entries[ManifestFile]
	if !ok {
		hint := ""
		for _, file := range a.Files {
			if path.Base(file.Path) == ManifestFile {
				hint = fmt.Sprintf(" (found %s: the zip was made from the parent directory; pack the bundle's root directory instead)", file.Path)
				break
			}
		}
		return fmt.Errorf("not an MCP bundle: %s missing at the zip root%s", ManifestFile, hint)
	}
	if limit := a.limits.MaxManifest; limit > 0 && f.UncompressedSize64 > uint64(limit) {
		return fmt.Errorf("%s is %d bytes, more than the limit of %d (%s)", ManifestFile, f.UncompressedSize64, limit, raise("manifest", f.UncompressedSize64))
	}
	rc, err := a.Open(ManifestFile)
	if err != nil {
		return err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("read %s: %w", ManifestFile, err)
	}
	m, warnings, err := ParseManifest(data, ParseOptions{Strict: opts.Strict, RequireSemver: opts.RequireSemver})
	a.Warnings = warnings
	if err != nil {
		return err
	}
	a.Manifest = m
	return nil
}

// entryReader enforces the declared size on the bytes actually produced: a
// header that understates its size must not get more data past the caps.
type entryReader struct {
	rc   io.ReadCloser
	name string
	left int64
}

func (e *entryReader) Read(p []byte) (int, error) {
	n, err := e.rc.Read(p)
	e.left -= int64(n)
	if e.left < 0 {
		return 0, fmt.Errorf("entry %q holds more data than its header declares; the bundle is corrupt or malicious", e.name)
	}
	if errors.Is(err, zip.ErrFormat) {
		// archive/zip reports an oversized entry as ErrFormat.
		return n, fmt.Errorf("entry %q holds more data than its header declares or is corrupt; the bundle is corrupt or malicious: %w", e.name, err)
	}
	if errors.Is(err, zip.ErrChecksum) {
		return n, fmt.Errorf("entry %q is corrupt (checksum mismatch): %w", e.name, err)
	}
	return n, err
}

func (e *entryReader) Close() error { return e.rc.Close() }
