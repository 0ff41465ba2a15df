package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// abandonedAfter is how long a directory under tmp/ without a usable owner
// file (see ownerFile) must go unmodified before Prune deletes it. Younger
// ones may belong to an install still in progress in another process.
const abandonedAfter = time.Hour

// PruneOptions select what Prune removes.
type PruneOptions struct {
	// UnusedFor removes entries not used (see Touch) for this long; zero
	// removes every entry.
	UnusedFor time.Duration
	// DryRun reports what would be removed and removes nothing.
	DryRun bool
}

// PruneReport is what Prune removed, or would remove in a dry run.
type PruneReport struct {
	// Removed lists the entries removed and EntryBytes their unpacked size.
	Removed    []Entry
	EntryBytes int64
	// Leftovers counts what killed processes left under tmp/ (interrupted
	// installs and removals), and LeftoverBytes is its size.
	Leftovers     int
	LeftoverBytes int64
}

// Freed is the number of bytes the prune freed.
func (r PruneReport) Freed() int64 { return r.EntryBytes + r.LeftoverBytes }

// Prune removes the entries opts selects, and the leftovers of killed
// processes under tmp/: at once when their owner is provably dead, after an
// hour when that cannot be proven. It keeps going past individual failures,
// which it joins into err.
func (c *Cache) Prune(opts PruneOptions) (PruneReport, error) {
	var r PruneReport
	entries, err := c.List()
	if err != nil {
		return r, err
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
		r.Removed = append(r.Removed, e)
		r.EntryBytes += e.Meta.UnpackedSize // the .mcpb itself is not kept
	}
	r.Leftovers, r.LeftoverBytes, err = c.sweepTemp(sweepDead|sweepOld, opts.DryRun)
	return r, errors.Join(append(errs, err)...)
}

// What sweepTemp removes.
const (
	sweepDead = 1 << iota // directories whose owner provably died
	sweepOld              // anything else unmodified for abandonedAfter
)

// sweepTemp deletes what killed processes left under tmp/, returning how
// many items it removed and their size. A directory whose owner is alive is
// never touched, whatever its age.
func (c *Cache) sweepTemp(what int, dryRun bool) (int, int64, error) {
	dir := filepath.Join(c.root, tmpDir)
	items, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	} else if err != nil {
		return 0, 0, fmt.Errorf("cache: %w", err)
	}
	var n int
	var freed int64
	var errs []error
	for _, it := range items {
		p := filepath.Join(dir, it.Name())
		state := unknown
		if it.IsDir() {
			state = probe(p)
		}
		switch {
		case state == alive:
			continue
		case state == dead && what&sweepDead != 0:
		case state == unknown && what&sweepOld != 0 && time.Since(lastModified(p)) >= abandonedAfter:
		default:
			continue
		}
		size := diskUsage(p)
		if !dryRun {
			rm := os.RemoveAll
			if state == dead {
				rm = removeDead
			}
			if err := rm(p); err != nil {
				errs = append(errs, fmt.Errorf("cache: removing abandoned %s: %w", p, err))
				continue
			}
		}
		n++
		freed += size
	}
	return n, freed, errors.Join(errs...)
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
