//go:build !unix

package stats

import (
	"fmt"
	"os"
)

// lockFile only creates the lock file: without flock(2) a second Counter on
// the same log is not detected here, so give each mpakd its own data
// directory.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("stats: opening the download log lock: %w", err)
	}
	return f, nil
}

// syncDir is a no-op: directories cannot be opened for syncing here, and
// renames are journaled by the filesystem.
func syncDir(string) error { return nil }
