//go:build !unix && !windows

package cache

import (
	"errors"
	"os"
)

// errLocked reports a lock held by another open file.
var errLocked = errors.New("locked by another process")

// lockFile fails where there are no file locks: owned directories are then
// judged by age alone.
func lockFile(*os.File, bool) error { return errors.ErrUnsupported }

func unlockFile(*os.File) error { return errors.ErrUnsupported }
