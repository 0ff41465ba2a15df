//go:build unix

package cache

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// errLocked reports a lock held by another open file.
var errLocked = errors.New("locked by another process")

// lockFile takes an exclusive flock(2) on f, waiting for it when wait is
// set. flock locks belong to the open file, not the process, so two opens
// in one process exclude each other too, and the kernel drops the lock when
// the owner dies.
func lockFile(f *os.File, wait bool) error {
	how := unix.LOCK_EX
	if !wait {
		how |= unix.LOCK_NB
	}
	for {
		err := unix.Flock(int(f.Fd()), how)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EWOULDBLOCK:
			return errLocked
		}
		return err
	}
}

func unlockFile(f *os.File) error { return unix.Flock(int(f.Fd()), unix.LOCK_UN) }
