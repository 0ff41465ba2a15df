package cache

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/Masterminds/semver/v3"
	"github.com/opencontainers/go-digest"
)

// List returns the complete entries, sorted by repository (or source, for
// local files), name, version (semver order), platform and digest.
// Directories that are not complete entries are skipped.
func (c *Cache) List() ([]Entry, error) {
	base := filepath.Join(c.root, bundlesDir)
	algs, err := os.ReadDir(base)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	var out []Entry
	for _, alg := range algs {
		dirs, err := os.ReadDir(filepath.Join(base, alg.Name()))
		if err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
		for _, dir := range dirs {
			d := digest.NewDigestFromEncoded(digest.Algorithm(alg.Name()), dir.Name())
			if d.Validate() != nil {
				continue
			}
			if e, err := readEntry(filepath.Join(base, alg.Name(), dir.Name()), d); err == nil {
				out = append(out, *e)
			}
		}
	}
	slices.SortFunc(out, compareEntries)
	return out, nil
}

func compareEntries(a, b Entry) int {
	return cmp.Or(
		cmp.Compare(origin(a), origin(b)),
		cmp.Compare(a.Meta.Name, b.Meta.Name),
		compareVersions(a.Meta.Version, b.Meta.Version),
		cmp.Compare(a.Meta.Platform, b.Meta.Platform),
		cmp.Compare(a.Digest, b.Digest),
	)
}

func origin(e Entry) string { return cmp.Or(e.Meta.Repository, e.Meta.Source) }

// compareVersions orders semver versions numerically (1.10.0 after 1.9.0)
// and anything else as text, after them.
func compareVersions(a, b string) int {
	va, erra := semver.StrictNewVersion(a)
	vb, errb := semver.StrictNewVersion(b)
	switch {
	case erra == nil && errb == nil:
		return va.Compare(vb)
	case erra == nil:
		return -1
	case errb == nil:
		return 1
	}
	return cmp.Compare(a, b)
}

// Remove deletes the entry for d. The entry disappears at once, by a rename;
// a server already running from it keeps the files it has open (on Windows,
// where open files cannot be moved, stop the server first).
func (c *Cache) Remove(d digest.Digest) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("cache: %q is not a bundle digest: %w", d, err)
	}
	err := c.discard(c.entryDir(d))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("bundle %s is not in the cache (`mpak cache ls` lists what is): %w", d, fs.ErrNotExist)
	} else if err != nil {
		return fmt.Errorf("remove cached bundle %s: %w (stop servers running from it and try again)", d, err)
	}
	return nil
}
