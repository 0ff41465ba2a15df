package cache

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/go-digest"
)

// Meta says where a cached bundle came from. Install fills Name, Version,
// Size, UnpackedSize and InstalledAt; the caller supplies the rest.
type Meta struct {
	Repository     string `json:"repository,omitempty"`
	Tag            string `json:"tag,omitempty"`
	IndexDigest    string `json:"indexDigest,omitempty"`
	ManifestDigest string `json:"manifestDigest,omitempty"`
	Platform       string `json:"platform,omitempty"`
	// Name and Version are read from the bundle's manifest.json.
	Name    string `json:"name"`
	Version string `json:"version"`
	// Size is the .mcpb file's size, UnpackedSize the extracted files'.
	Size         int64 `json:"size"`
	UnpackedSize int64 `json:"unpackedSize"`
	// Source is "registry" or the path of the local file installed.
	Source      string    `json:"source,omitempty"`
	InstalledAt time.Time `json:"installedAt"`
}

// Entry is a complete, published bundle.
type Entry struct {
	Digest digest.Digest `json:"digest"`
	// Dir is the extracted bundle root, the directory holding manifest.json.
	Dir      string    `json:"dir"`
	Meta     Meta      `json:"meta"`
	LastUsed time.Time `json:"lastUsed"`
}

// record is the content of meta.json. The digest is repeated so that a
// directory renamed by hand is not mistaken for another bundle.
type record struct {
	Digest digest.Digest `json:"digest"`
	Meta
}

// maxRecord bounds what is read from meta.json: ours are a few hundred bytes.
const maxRecord = 64 << 10

// errBroken marks an entry directory whose meta.json is unusable.
// Such a directory can only come from outside interference; Install
// replaces it.
var errBroken = errors.New("broken cache entry")

// Lookup returns the complete entry for d. It costs one small file read and
// no directory walks, so warm runs stay fast.
func (c *Cache) Lookup(d digest.Digest) (*Entry, bool) {
	if d.Validate() != nil {
		return nil, false
	}
	e, err := readEntry(c.entryDir(d), d)
	return e, err == nil
}

// readEntry reads the entry published at dir.
func readEntry(dir string, d digest.Digest) (*Entry, error) {
	// A missing meta.json is reported as fs.ErrNotExist, not errBroken:
	// that is the common miss, and publish tells the two cases apart.
	f, err := os.Open(filepath.Join(dir, metaFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxRecord+1))
	if err != nil {
		return nil, err
	}
	var r record
	if len(data) > maxRecord || json.Unmarshal(data, &r) != nil || r.Digest != d {
		return nil, fmt.Errorf("%w: %s/%s is not the record of %s", errBroken, dir, metaFile, d)
	}
	return &Entry{Digest: d, Dir: filepath.Join(dir, treeDir), Meta: r.Meta, LastUsed: fi.ModTime()}, nil
}

// touchEvery is how stale LastUsed must be before Touch writes: prune works in
// days, and skipping the write keeps repeated warm runs at zero writes.
const touchEvery = time.Minute

// Touch records that e is being used, for Prune. It sets the mtime of the
// entry's meta.json, at most once a minute. Failures are ignored: a
// read-only cache still runs bundles, it only prunes them less precisely.
func (c *Cache) Touch(e *Entry) {
	now := time.Now()
	if e == nil || now.Sub(e.LastUsed) < touchEvery || e.Digest.Validate() != nil {
		return
	}
	if os.Chtimes(filepath.Join(c.entryDir(e.Digest), metaFile), now, now) == nil {
		e.LastUsed = now
	}
}
