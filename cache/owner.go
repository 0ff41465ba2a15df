package cache

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ownerFile marks a directory under tmp/ as the work of one live process.
// The process holds an exclusive lock on it for as long as it works there;
// the system drops the lock when the process dies, however it dies, so a
// directory whose lock can be taken is provably abandoned. Ages cannot
// prove that: a slow download may be quiet for an hour, and four killed
// installs of a large bundle fill a disk well within one.
//
// The process writes its pid into the file only once it holds the lock. A
// lock taken on an empty file therefore proves nothing: the owner may be
// between creating the file and locking it. Such directories, and those
// left by versions without owner files, fall back to the age rule.
const ownerFile = ".owner"

// owner is the lock a process holds on its work directory.
type owner struct{ f *os.File }

// claim makes dir, which the caller has just created, provably ours. It
// never fails: without a lock (a file system that has none) the directory
// is judged by its age, as before.
func claim(dir string) *owner {
	f, err := os.OpenFile(filepath.Join(dir, ownerFile), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return &owner{}
	}
	// Blocking: a sweeper may hold the lock for an instant to look inside.
	if err := lockFile(f, true); err != nil {
		f.Close()
		return &owner{}
	}
	fmt.Fprintf(f, "%d %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339))
	return &owner{f: f}
}

// removeDir removes dir, the owned work directory, and only then drops
// the lock, so that no sweeper sees the directory unowned while it still
// exists. Where an open file cannot be removed (Windows), what is left
// goes once the lock is released.
func (o *owner) removeDir(dir string) {
	os.RemoveAll(dir)
	if o.f != nil {
		o.f.Close()
		os.RemoveAll(dir)
	}
}

// liveness is what can be proven about a directory under tmp/.
type liveness int

const (
	unknown liveness = iota // no usable owner file: judge by age
	alive                   // its owner holds the lock
	dead                    // its owner locked it and has died
)

// probe tells whether the process that made dir is still at work there.
func probe(dir string) liveness {
	f, err := os.Open(filepath.Join(dir, ownerFile))
	if err != nil {
		return unknown
	}
	defer f.Close()
	if err := lockFile(f, false); errors.Is(err, errLocked) {
		return alive
	} else if err != nil {
		return unknown
	}
	defer unlockFile(f)
	var b [1]byte
	if n, _ := io.ReadFull(f, b[:]); n == 0 {
		return unknown
	}
	return dead
}

// removeDead deletes the abandoned directory dir, its owner file last: a
// process killed while doing this leaves a directory that is still
// provably dead, not one that has to wait an hour.
func removeDead(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var errs []error
	for _, e := range entries {
		if e.Name() != ownerFile {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) == 0 {
		if err := os.Remove(filepath.Join(dir, ownerFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
		if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
