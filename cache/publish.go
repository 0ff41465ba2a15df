package cache

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
)

// publish moves the complete entry staged at stage to its place in the
// cache with one rename, the step that makes it visible to Lookup.
func (c *Cache) publish(stage string, d digest.Digest) (*Entry, error) {
	if err := flushFS(stage); err != nil {
		return nil, fmt.Errorf("cache: flushing bundle %s to disk: %w", d, err)
	}
	final := c.entryDir(d)
	parent := filepath.Dir(final)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	// Each pass either publishes, adopts an entry another process published
	// first, or clears a broken directory out of the way. The passes are
	// bounded so that a rename failing for another reason (permissions) is
	// reported instead of retried forever.
	var err error
	for range 3 {
		if err = os.Rename(stage, final); err == nil {
			// Best effort: without it a crash may forget the entry, which
			// costs a download, never a wrong tree.
			_ = syncDir(parent)
			return readEntry(final, d)
		}
		// The rename fails when final exists (rename(2) does not replace a
		// non-empty directory): another process won the race, or final is
		// broken.
		e, rerr := readEntry(final, d)
		if rerr == nil {
			return e, nil
		}
		if _, serr := os.Lstat(final); errors.Is(serr, os.ErrNotExist) {
			continue // removed meanwhile, or the rename failed for another reason
		}
		// final exists without a usable meta.json.
		if !errors.Is(rerr, errBroken) && !errors.Is(rerr, os.ErrNotExist) {
			return nil, fmt.Errorf("cache: publishing bundle %s: %w", d, rerr)
		}
		if derr := c.discard(final); derr != nil && !errors.Is(derr, os.ErrNotExist) {
			return nil, fmt.Errorf("cache: replacing the broken entry %s: %w (remove it by hand)", final, derr)
		}
	}
	return nil, fmt.Errorf("cache: publishing bundle %s: %w (check the permissions of %s, or set %s elsewhere)", d, err, c.root, EnvDir)
}

// discard removes the directory dir from the cache without a window in
// which it is half deleted: it is first renamed into tmp/, where nothing
// reads it and the next Open finishes the job should we be killed during
// RemoveAll.
func (c *Cache) discard(dir string) error {
	tmp, err := c.tempDir()
	if err != nil {
		return err
	}
	trash, err := os.MkdirTemp(tmp, "removed-")
	if err != nil {
		return err
	}
	own := claim(trash)
	// Renaming into a fresh directory rather than onto it works on every
	// system, including those where rename never replaces a directory.
	if err := os.Rename(dir, filepath.Join(trash, "entry")); err != nil {
		own.removeDir(trash)
		return err
	}
	err = os.RemoveAll(filepath.Join(trash, "entry"))
	own.removeDir(trash)
	return err
}
