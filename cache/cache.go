package cache

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mpak-oci/mpak/mcpb"
	"github.com/opencontainers/go-digest"
)

// EnvDir names the environment variable that overrides the cache location.
const EnvDir = "MPAK_CACHE"

// Names inside the cache root and inside an entry.
const (
	bundlesDir = "bundles"
	refsDir    = "refs"
	tmpDir     = "tmp"
	treeDir    = "bundle"
	metaFile   = "meta.json"
)

// DefaultDir returns $MPAK_CACHE (read with getenv), else mpak under the
// user's cache directory ($XDG_CACHE_HOME or ~/.cache on Linux,
// ~/Library/Caches on macOS, %LocalAppData% on Windows).
func DefaultDir(getenv func(string) string) (string, error) {
	if dir := getenv(EnvDir); dir != "" {
		return dir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory: %w; set %s to a writable directory", err, EnvDir)
	}
	return filepath.Join(base, "mpak"), nil
}

// Cache is a bundle cache rooted at a directory. It holds no state besides
// the path, so any number of Caches and processes may share one root.
type Cache struct {
	root   string
	limits mcpb.Limits
}

// Options tune OpenWith.
type Options struct {
	// KeepLeftovers skips the removal of killed installs' directories
	// that Open does, so that Prune can report them, or only report them
	// in a dry run.
	KeepLeftovers bool
	// Limits cap what unpacking a bundle may produce (zero fields:
	// mcpb.DefaultLimits).
	Limits mcpb.Limits
}

// Open returns the cache rooted at dir (DefaultDir finds the user's),
// creating the directory (private to the user) if needed. It removes what
// installs killed since left under tmp/, when it can prove them dead: every
// interrupted install of a large bundle would otherwise keep its size on
// disk for an hour. When tmp/ is empty that costs one directory read.
func Open(dir string) (*Cache, error) {
	return OpenWith(dir, Options{})
}

// OpenWith is Open with options.
func OpenWith(dir string, opts Options) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("opening the bundle cache: no directory given (cache.DefaultDir finds the user's)")
	}
	// Entry.Dir is handed to servers as ${__dirname}; it must not depend on
	// the working directory.
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("cache directory %s: %w", dir, err)
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("create cache directory: %w (set %s to a writable directory)", err, EnvDir)
	}
	c := &Cache{root: root, limits: opts.Limits}
	if !opts.KeepLeftovers {
		// Best effort: a leftover that cannot be removed must not stop a
		// run; Prune reports the error.
		c.sweepTemp(sweepDead, false)
	}
	return c, nil
}

// Dir returns the absolute path of the cache root.
func (c *Cache) Dir() string { return c.root }

// entryDir is where the entry for d lives once published. d must be valid.
func (c *Cache) entryDir(d digest.Digest) string {
	return filepath.Join(c.root, bundlesDir, string(d.Algorithm()), d.Encoded())
}

// tempDir returns the directory for work in progress, creating it.
func (c *Cache) tempDir() (string, error) {
	dir := filepath.Join(c.root, tmpDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("cache: %w (check the permissions of %s, or set %s elsewhere)", err, c.root, EnvDir)
	}
	return dir, nil
}
