// Package lock reads and writes mpak.lock: the digests a team or CI run
// resolved, so that every later run executes exactly the same bytes, the way
// package-lock.json pins npm installs.
package lock

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/opencontainers/go-digest"
)

// Version is the lock file format version this package writes.
const Version = 1

// DefaultFile is the lock file name used when none is given.
const DefaultFile = "mpak.lock"

// Entry pins one requested reference.
type Entry struct {
	// Repository is host/repository the reference resolved in.
	Repository string `json:"repository"`
	// Version is the tag the request resolved to (informational: the digest rules).
	Version string `json:"version"`
	// Digest is the version's index (or single manifest) digest.
	Digest digest.Digest `json:"digest"`
}

// File is a lock file: requested reference (as the user wrote it) → pin.
type File struct {
	LockfileVersion int              `json:"lockfileVersion"`
	Bundles         map[string]Entry `json:"bundles"`
}

// Load reads path; a missing file is an empty lock.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &File{LockfileVersion: Version, Bundles: map[string]Entry{}}, nil
	} else if err != nil {
		return nil, err
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s is not a valid lock file: %w (restore it from version control, or delete it and run mpak lock again)", path, err)
	}
	if f.LockfileVersion > Version {
		return nil, fmt.Errorf("%s has lockfileVersion %d; this mpak understands up to %d: upgrade mpak", path, f.LockfileVersion, Version)
	}
	if f.Bundles == nil {
		f.Bundles = map[string]Entry{}
	}
	for ref, e := range f.Bundles {
		if err := e.Digest.Validate(); err != nil || e.Repository == "" {
			return nil, fmt.Errorf("%s: entry %q has no valid repository and digest: fix or remove it", path, ref)
		}
	}
	return &f, nil
}

// Get returns the pin for a reference.
func (f *File) Get(ref string) (Entry, bool) {
	e, ok := f.Bundles[ref]
	return e, ok
}

// Set pins a reference.
func (f *File) Set(ref string, e Entry) {
	if f.Bundles == nil {
		f.Bundles = map[string]Entry{}
	}
	f.Bundles[ref] = e
}

// Refs lists the pinned references in order.
func (f *File) Refs() []string {
	refs := make([]string, 0, len(f.Bundles))
	for r := range f.Bundles {
		refs = append(refs, r)
	}
	sort.Strings(refs)
	return refs
}

// Save writes the lock atomically with sorted keys and a final newline, so
// it diffs cleanly in version control.
func (f *File) Save(path string) error {
	f.LockfileVersion = Version
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
