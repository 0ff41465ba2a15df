package cache

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// errLocked reports a lock held by another open file.
var errLocked = errors.New("locked by another process")

// lockFile locks the first byte of f exclusively, waiting for it when wait
// is set. Windows drops the lock when the owning process dies.
func lockFile(f *os.File, wait bool) error {
	flags := uint32(windows.LOCKFILE_EXCLUSIVE_LOCK)
	if !wait {
		flags |= windows.LOCKFILE_FAIL_IMMEDIATELY
	}
	err := windows.LockFileEx(windows.Handle(f.Fd()), flags, 0, 1, 0, new(windows.Overlapped))
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return errLocked
	}
	return err
}

func unlockFile(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, new(windows.Overlapped))
}
