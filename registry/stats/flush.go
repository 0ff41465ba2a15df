package stats

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// The marker row counts a Counter's batches in the Store (see the package
// documentation). The repository is no valid OCI name, so it never clashes
// with a bundle, and the fixed day keeps it one row per Counter.
const (
	markerRepository = "_mpak/downloads-wal"
	markerPlatform   = "batches"
)

var markerDay = time.Unix(0, 0).UTC()

// Stages of a flush where a crash matters, for testHook.
const (
	stageSealed = "sealed" // the batch is sealed and synced, not yet added
	stageAdded  = "added"  // AddDownloads returned; the batch file is not yet deleted
)

// testHook is nil but in tests, which stop helper processes at a stage to
// kill them there.
var testHook func(stage string)

func hook(stage string) {
	if testHook != nil {
		testHook(stage)
	}
}

// Flush adds every logged download to the Store now: first batches sealed
// earlier (left by a crash or a failed flush), then the active log. On an
// error the downloads stay in the log for the next flush.
func (c *Counter) Flush(ctx context.Context) error {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	sealed, err := listBatches(c.wal.path)
	if err != nil {
		return fmt.Errorf("stats: listing sealed batches: %w", err)
	}
	for _, b := range sealed {
		if err := c.settle(ctx, b); err != nil {
			return err
		}
	}
	if err := c.refresh(ctx); err != nil {
		return err
	}
	b := c.next()
	if sealed, err := c.wal.seal(b.path); err != nil || !sealed {
		return err // a batch sealed but not synced is settled by the next flush
	}
	return c.add(ctx, b)
}

// next is the batch this Counter adds next.
func (c *Counter) next() batch {
	seq := c.committed + 1
	return batch{path: batchPath(c.wal.path, c.id, seq), id: c.id, seq: seq}
}

// settle finishes a batch sealed earlier: deleted if the marker shows it in
// the Store, added otherwise.
func (c *Counter) settle(ctx context.Context, b batch) error {
	var done int64
	if b.id == c.id {
		if err := c.refresh(ctx); err != nil {
			return err
		}
		done = c.committed
	} else {
		n, err := c.markerOf(ctx, b.id)
		if err != nil {
			return err
		}
		done = n
	}
	if b.seq <= done {
		lines, err := countLines(b.path)
		if err != nil {
			return fmt.Errorf("stats: reading sealed batch %s: %w", b.path, err)
		}
		c.log.Info("a sealed batch of downloads is already in the catalog; deleting it", "file", b.path)
		c.discard(b, lines)
		return nil
	}
	if b != c.next() {
		// Adopt it as this Counter's next batch. Its own marker can no
		// longer reach its number: the Counter that sealed it is gone
		// (the log is locked while one is open), or, for this Counter, the
		// Store lost the marker (a restored database).
		nb := c.next()
		if err := os.Rename(b.path, nb.path); err != nil {
			return fmt.Errorf("stats: renaming sealed batch %s: %w", b.path, err)
		}
		if err := syncDir(filepath.Dir(nb.path)); err != nil {
			return fmt.Errorf("stats: syncing sealed batch %s: %w", nb.path, err)
		}
		b = nb
	}
	return c.add(ctx, b)
}

// add puts batch b, this Counter's next, into the Store with the marker in
// the same AddDownloads, then deletes it.
func (c *Counter) add(ctx context.Context, b batch) error {
	hook(stageSealed)
	counts, lines, err := c.readBatch(ctx, b.path)
	if err != nil {
		return err
	}
	if len(counts) == 0 {
		// Nothing countable (every blob was no bundle layer): no marker
		// either, so b's number is reused by the next batch.
		c.discard(b, lines)
		return nil
	}
	ds, err := catalog.MergeDownloads(append(counts, catalog.Download{
		Repository: markerRepository, Version: c.id, Platform: markerPlatform, Day: markerDay, Count: 1,
	}), markerDay)
	if err != nil {
		return fmt.Errorf("stats: batch %s: %w", b.path, err)
	}
	if err := c.store.AddDownloads(ctx, ds); err != nil {
		// It may have committed all the same (a connection lost after
		// COMMIT): the marker tells at the next flush.
		c.known = false
		return fmt.Errorf("stats: adding %d download rows to the catalog: %w", len(ds), err)
	}
	c.committed = b.seq
	for _, d := range counts {
		c.counted.Add(d.Count)
	}
	hook(stageAdded)
	c.checkMarker(ctx)
	c.discard(b, lines)
	return nil
}

// discard deletes a batch that is in the Store (or had nothing to add).
func (c *Counter) discard(b batch, lines int64) {
	c.pending.Add(-lines)
	if err := os.Remove(b.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		// Harmless: its marker is reached, so the next flush deletes it
		// without adding it again.
		c.log.Warn("deleting a sealed batch of downloads failed", "file", b.path, "err", err)
	}
}

// refresh reads this Counter's marker back after an AddDownloads whose
// outcome is unknown.
func (c *Counter) refresh(ctx context.Context) error {
	if c.known {
		return nil
	}
	n, err := c.markerOf(ctx, c.id)
	if err != nil {
		return err
	}
	c.committed, c.known = n, true
	return nil
}

// markerOf is how many of id's batches the Store holds.
func (c *Counter) markerOf(ctx context.Context, id string) (int64, error) {
	st, err := c.store.Stats(ctx, markerRepository)
	if errors.Is(err, catalog.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("stats: reading which download batches the catalog holds: %w", err)
	}
	return st.ByVersion[id], nil
}

// checkMarker reads the marker back once per Counter: a Store that does not
// report it would have every interrupted flush added again.
func (c *Counter) checkMarker(ctx context.Context) {
	if c.checked {
		return
	}
	n, err := c.markerOf(ctx, c.id)
	if err != nil {
		return // asked again after the next flush
	}
	c.checked = true
	if n != c.committed {
		c.log.Error("the catalog store does not report the download log's marker row, so a crash during a flush "+
			"can count a batch twice: its Stats must return the counts of a repository without versions",
			"repository", markerRepository, "version", c.id, "want", c.committed, "got", n)
	}
}

// readBatch sums a sealed batch into download rows, attributing the
// downloads that Record could not. It returns the batch's line count too.
func (c *Counter) readBatch(ctx context.Context, path string) ([]catalog.Download, int64, error) {
	type key struct{ repository, version, platform, day string }
	counts := map[key]int64{}
	unresolved := map[record]int64{}
	var damaged, firstDamaged int64
	lines, _, err := scanLines(path, func(n int64, line []byte) {
		r, err := parseRecord(line)
		switch {
		case err != nil:
			if damaged++; firstDamaged == 0 {
				firstDamaged = n
			}
		case r.resolved():
			counts[key{r.Repository, r.Version, r.Platform, r.Day}]++
		default:
			unresolved[r]++
		}
	})
	if err != nil {
		return nil, 0, fmt.Errorf("stats: reading sealed batch %s: %w", path, err)
	}
	if damaged > 0 {
		// Only a power loss or an outside edit damages lines: Record
		// writes each whole.
		c.log.Warn("skipping damaged lines of the download log", "file", path, "lines", damaged, "first", firstDamaged)
	}
	for r, n := range unresolved {
		ref, err := c.layers.resolve(ctx, r.Repository, r.Digest)
		if err != nil {
			return nil, 0, fmt.Errorf("stats: attributing downloads of %s@%s: %w", r.Repository, r.Digest, err)
		}
		if ref != nil {
			repo := r.Repository
			if ref.Repository != "" {
				repo = ref.Repository
			}
			counts[key{repo, ref.Version, ref.Platform, r.Day}] += n
		}
	}
	out := make([]catalog.Download, 0, len(counts)+1)
	for k, n := range counts {
		day, _ := time.Parse(dayLayout, k.day) // checked by parseRecord
		out = append(out, catalog.Download{Repository: k.repository, Version: k.version, Platform: k.platform, Day: day, Count: n})
	}
	return out, lines, nil
}
