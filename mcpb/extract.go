package mcpb

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
)

// Extract writes the bundle's files under dir, which must exist and be
// empty. Directories are created 0755 and files 0644, or 0755 when the
// archive marks them executable; setuid, setgid and sticky bits are never
// restored. The caps are enforced on the bytes actually written, so a
// header that understates an entry's size is caught.
//
// On error, everything Extract created is removed again, leaving dir empty.
func (a *Archive) Extract(dir string) (err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("extract bundle: %w (the target directory must exist)", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("extract bundle to %s: directory is not empty; extract into a new empty directory", dir)
	}
	// os.Root confines every operation to dir even if something else
	// plants a symlink in it while we write.
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("extract bundle: %w", err)
	}
	defer root.Close()
	defer func() {
		if err != nil {
			cleanup(root, dir)
		}
	}()

	budget := int64(-1) // unlimited
	if a.limits.MaxUncompressed > 0 {
		budget = a.limits.MaxUncompressed
	}
	for _, f := range a.Files {
		n, err := a.extractFile(root, f, budget)
		if err != nil {
			return fmt.Errorf("extract bundle to %s: %w", dir, err)
		}
		if budget >= 0 {
			budget -= n
		}
	}
	return nil
}

// extractFile writes one file and returns the bytes written. budget is what
// is left of MaxUncompressed, or -1 when that cap is disabled.
func (a *Archive) extractFile(root *os.Root, f File, budget int64) (int64, error) {
	name := filepath.FromSlash(f.Path)
	// Read already refused unsafe names; this is the last line of defence
	// should an Archive ever be built another way.
	if !filepath.IsLocal(name) || checkEntryPath(f.Path) != "" {
		return 0, fmt.Errorf("entry %q: refusing to write outside the target directory", f.Path)
	}
	if parent := path.Dir(f.Path); parent != "." {
		if err := root.MkdirAll(filepath.FromSlash(parent), 0o755); err != nil {
			return 0, fmt.Errorf("entry %q: %w", f.Path, err)
		}
	}
	rc, err := a.Open(f.Path)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	mode := normalizeMode(f.Mode)
	out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return 0, fmt.Errorf("entry %q: %w", f.Path, err)
	}
	defer out.Close()

	src := io.Reader(rc)
	if budget >= 0 {
		src = io.LimitReader(rc, budget+1)
	}
	n, err := io.Copy(out, src)
	if err != nil {
		return n, err
	}
	if budget >= 0 && n > budget {
		return n, fmt.Errorf("entry %q: bundle expands to more than the limit of %d bytes; refusing a possible zip bomb", f.Path, a.limits.MaxUncompressed)
	}
	// The umask may have cleared bits at creation; the result must not
	// depend on the caller's umask.
	if err := out.Chmod(mode); err != nil {
		return n, fmt.Errorf("entry %q: %w", f.Path, err)
	}
	if err := out.Close(); err != nil {
		return n, fmt.Errorf("entry %q: %w", f.Path, err)
	}
	return n, nil
}

// cleanup empties dir after a failed Extract. dir was empty when Extract
// started, so everything in it is ours.
func cleanup(root *os.Root, dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		root.RemoveAll(e.Name())
	}
}
