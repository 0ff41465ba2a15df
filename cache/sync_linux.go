package cache

import (
	"os"

	"golang.org/x/sys/unix"
)

// flushFS makes everything written under dir durable. One syncfs(2) flushes
// the whole tree at the cost of a single journal commit, where an fsync per
// file would commit once per file.
func flushFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}

// syncDir makes a rename into dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
