package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// abandonedAfter is how long a directory under tmp/ must go unmodified
// before Prune deletes it. Younger ones may belong to an install still in
// progress in another process.
const abandonedAfter = time.Hour

// PruneOptions select what Prune removes.
type PruneOptions struct {
	// UnusedFor removes entries not used (see Touch) for this long; zero
	// removes every entry.
	UnusedFor time.Duration
	// DryRun reports what would be removed and removes nothing.
	DryRun bool
}

// Prune removes the entries opts selects, and the leftovers of killed
// processes under tmp/ that are more than an hour old. It returns the
// entries removed and the bytes freed, and keeps going past individual
// failures, which it joins into err.
func (c *Cache) Prune(opts PruneOptions) (removed []Entry, freed int64, err error) {
	entries, err := c.List()
	if err != nil {
		return nil, 0, err
	}
	var errs []error
	for _, e := range entries {
		if opts.UnusedFor > 0 && time.Since(e.LastUsed) < opts.UnusedFor {
			continue
		}
		if !opts.DryRun {
			// A run may have touched the entry since List; look again
			// right before removing.
			if cur, ok := c.Lookup(e.Digest); !ok || (opts.UnusedFor > 0 && time.Since(cur.LastUsed) < opts.UnusedFor) {
				continue
			}
			if err := c.Remove(e.Digest); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		removed = append(removed, e)
		freed += e.Meta.UnpackedSize // the .mcpb itself is not kept
	}
	n, err := c.sweepTemp(opts.DryRun)
	freed += n
	return removed, freed, errors.Join(append(errs, err)...)
}

// sweepTemp deletes what killed processes left under tmp/, returning the
// bytes freed.
func (c *Cache) sweepTemp(dryRun bool) (int64, error) {
	dir := filepath.Join(c.root, tmpDir)
	items, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("cache: %w", err)
	}
	var freed int64
	var errs []error
	for _, it := range items {
		p := filepath.Join(dir, it.Name())
		if time.Since(lastModified(p)) < abandonedAfter {
			continue
		}
		size := diskUsage(p)
		if !dryRun {
			if err := os.RemoveAll(p); err != nil {
				errs = append(errs, fmt.Errorf("cache: removing abandoned %s: %w", p, err))
				continue
			}
		}
		freed += size
	}
	return freed, errors.Join(errs...)
}

// lastModified is the newest mtime of p and, when p is a directory, of its
// direct children. An install writes its download directly under its work
// directory, so a slow but live download keeps looking fresh.
func lastModified(p string) time.Time {
	fi, err := os.Lstat(p)
	if err != nil {
		return time.Now() // vanished or unreadable: not ours to judge
	}
	newest := fi.ModTime()
	if !fi.IsDir() {
		return newest
	}
	children, _ := os.ReadDir(p)
	for _, ch := range children {
		if info, err := ch.Info(); err == nil && info.ModTime().After(newest) {
			newest = info.ModTime()
		}
	}
	return newest
}

// diskUsage sums the sizes of the regular files under p.
func diskUsage(p string) int64 {
	var n int64
	filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
