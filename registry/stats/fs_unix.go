//go:build unix

package stats

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// lockFile takes an exclusive lock that the kernel releases when the process
// dies, however it dies: two Counters appending to and sealing one log would
// each add the other's downloads.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("stats: opening the download log lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("stats: %s is locked by another process: another mpakd (make run?) is serving this data directory; stop it, or give each mpakd its own data directory (--data, and its own --addr; replicas may share a PostgreSQL store)", path)
		}
		return nil, fmt.Errorf("stats: locking %s: %w", path, err)
	}
	return f, nil
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
