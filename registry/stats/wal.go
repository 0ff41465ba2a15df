package stats

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	lockSuffix  = ".lock"
	batchInfix  = ".batch-"
	dayLayout   = "2006-01-02"
	maxLineSize = 64 << 10 // far above any real record; longer lines are damage
)

// record is one line of the log: one download. Version and Platform are
// empty when the layer could not be resolved at the time (the Store was slow
// or down); Digest is then set, and the flush resolves it.
type record struct {
	Day        string `json:"day"` // UTC, YYYY-MM-DD
	Repository string `json:"repository"`
	Version    string `json:"version,omitempty"`
	Platform   string `json:"platform,omitempty"`
	Digest     string `json:"digest,omitempty"`
}

// encode is the record's line. JSON keeps any version string intact and
// lets an operator read the log.
func (r *record) encode() []byte {
	b, _ := json.Marshal(r) // strings only: cannot fail
	return append(b, '\n')
}

func (r *record) resolved() bool { return r.Version != "" }

// parseRecord reads a line back. A line that does not parse is a write torn
// by a power loss (or a damaged file): it was never acknowledged as whole.
func parseRecord(line []byte) (record, error) {
	var r record
	if err := json.Unmarshal(line, &r); err != nil {
		return r, err
	}
	if r.Repository == "" || (r.Version == "") == (r.Digest == "") {
		return r, errors.New("needs a repository and either a version or a digest")
	}
	if _, err := time.Parse(dayLayout, r.Day); err != nil {
		return r, err
	}
	return r, nil
}

// wal is the active log. Records append to it concurrently; a flush seals it
// (renames it to a batch) and starts a new one.
type wal struct {
	path string
	// mu is held shared while appending and exclusively while the file is
	// swapped, so no append lands in a file already sealed.
	mu sync.RWMutex
	f  *os.File // nil once closed
}

// openWAL opens the log for appending and counts its lines. A last line
// without its newline (a write cut by a power loss) gets one, so the next
// append starts a line of its own instead of extending the damaged one.
func openWAL(path string) (*wal, int64, error) {
	lines, complete, err := scanLines(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, 0, fmt.Errorf("stats: reading the download log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("stats: opening the download log: %w", err)
	}
	if !complete {
		if _, err := f.Write([]byte{'\n'}); err != nil {
			f.Close()
			return nil, 0, fmt.Errorf("stats: repairing the end of the download log: %w", err)
		}
	}
	return &wal{path: path, f: f}, lines, nil
}

var errClosed = errors.New("the download counter is closed")

// append writes one line with a single write(2). O_APPEND makes the kernel
// place it at the end atomically, so concurrent appends never interleave,
// and once written it survives the process.
func (w *wal) append(line []byte) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.f == nil {
		return errClosed
	}
	n, err := w.f.Write(line)
	if err != nil && n > 0 && n < len(line) {
		// End the partial line, so that it alone is unreadable.
		w.f.Write([]byte{'\n'})
	}
	return err
}

// seal renames the log to batch and continues in a fresh file. It reports
// false when the log is empty (nothing is renamed). The sealed file is
// fsynced, with the rename, before seal returns: the batch is about to be
// added to the Store, and after a power loss it must be found again under
// its name, never as the active log (which would count it twice).
func (w *wal) seal(batch string) (bool, error) {
	old, err := w.swap(batch)
	if old == nil || err != nil {
		return false, err
	}
	err = old.Sync()
	if cerr := old.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(filepath.Dir(w.path))
	}
	if err != nil {
		return true, fmt.Errorf("stats: syncing sealed batch %s: %w", batch, err)
	}
	return true, nil
}

// swap does the renaming under the exclusive lock and returns the sealed
// file's descriptor.
func (w *wal) swap(batch string) (*os.File, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil, errClosed
	}
	fi, err := w.f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	if fi.Size() == 0 {
		return nil, nil
	}
	if err := os.Rename(w.path, batch); err != nil {
		return nil, fmt.Errorf("stats: sealing the download log: %w", err)
	}
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		// Put the log back; appends were held off, so nothing is lost.
		if rerr := os.Rename(batch, w.path); rerr != nil {
			// The directory refuses both: stop appending rather than
			// write into a batch that is being added.
			w.f.Close()
			w.f = nil
			return nil, fmt.Errorf("stats: starting a new download log: %w; restoring the old one: %v", err, rerr)
		}
		return nil, fmt.Errorf("stats: starting a new download log: %w", err)
	}
	old := w.f
	w.f = f
	return old, nil
}

func (w *wal) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// batch is a sealed log awaiting (or done with) its AddDownloads.
type batch struct {
	path string
	id   string
	seq  int64
}

// batchPath names batch seq of id. seq is zero-padded so that names sort
// in batch order.
func batchPath(wal, id string, seq int64) string {
	return fmt.Sprintf("%s%s%s-%020d", wal, batchInfix, id, seq)
}

// listBatches finds the sealed batches next to the log, oldest first.
func listBatches(wal string) ([]batch, error) {
	entries, err := os.ReadDir(filepath.Dir(wal))
	if err != nil {
		return nil, err
	}
	prefix := filepath.Base(wal) + batchInfix
	var out []batch
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		id, num, ok := strings.Cut(rest, "-")
		seq, err := strconv.ParseInt(num, 10, 64)
		if !ok || id == "" || err != nil || seq < 1 {
			continue // not ours; left alone
		}
		out = append(out, batch{path: filepath.Join(filepath.Dir(wal), e.Name()), id: id, seq: seq})
	}
	slices.SortFunc(out, func(a, b batch) int { return strings.Compare(a.path, b.path) })
	return out, nil
}

// scanLines reads a log file line by line, calling each (if not nil) with
// every line and its 1-based number. It returns how many lines there are,
// and whether the last one ends with a newline.
func scanLines(path string, each ...func(n int64, line []byte)) (lines int64, complete bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, true, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, maxLineSize)
	complete = true
	for {
		line, err := r.ReadSlice('\n')
		for errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than maxLineSize is damage (records are a
			// few hundred bytes): skip the rest of it.
			line = nil
			_, err = r.ReadSlice('\n')
		}
		if len(line) == 0 && err == io.EOF {
			return lines, complete, nil
		}
		if err != nil && err != io.EOF {
			return lines, complete, err
		}
		lines++
		complete = err == nil
		for _, fn := range each {
			fn(lines, bytes.TrimSuffix(line, []byte{'\n'}))
		}
		if err == io.EOF {
			return lines, complete, nil
		}
	}
}

func countLines(path string) (int64, error) {
	n, _, err := scanLines(path)
	return n, err
}
