package mcpb

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

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
	// Limits apply to the archive; zero fields mean DefaultLimits. To honour
	// a user's setting, pass ParseLimits of it here: the package does not
	// read the environment.
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
	lim := opts.Limits.resolve()
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
