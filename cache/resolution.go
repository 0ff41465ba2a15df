package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/go-digest"
)

// Resolution memoizes what a reference resolved to, so that running an
// exact version or a digest pin again needs no registry. Only immutable
// references belong here: a tag that moves (latest, a range) must be
// resolved again by the caller.
type Resolution struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag,omitempty"`
	// IndexDigest is the version's root: its index, or its only manifest.
	IndexDigest string `json:"indexDigest"`
	// Builds is keyed by platform, e.g. "linux/amd64" or "any".
	Builds     map[string]Build `json:"builds"`
	ResolvedAt time.Time        `json:"resolvedAt"`
}

// Build is one platform's build of a version.
type Build struct {
	ManifestDigest string `json:"manifestDigest"`
	LayerDigest    string `json:"layerDigest"`
	Size           int64  `json:"size"`
}

// maxResolution bounds what is read from a memo file.
const maxResolution = 1 << 20

// Remember stores r under its tag and under each of its digests, so that
// Recall and RecallDigest find it with one file read. Builds already
// remembered for the same version are kept: runs on different platforms
// add to one memo instead of replacing each other's.
func (c *Cache) Remember(r Resolution) error {
	if err := r.check(); err != nil {
		return fmt.Errorf("cache: not remembering %s: %w", r.Repository, err)
	}
	if old, ok := c.RecallDigest(r.Repository, r.IndexDigest); ok && old.IndexDigest == r.IndexDigest {
		r.Builds = mergeBuilds(old.Builds, r.Builds)
	}
	if r.ResolvedAt.IsZero() {
		r.ResolvedAt = time.Now().UTC()
	}
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	keys := []string{"digest:" + r.IndexDigest}
	if r.Tag != "" {
		keys = append(keys, "tag:"+r.Tag)
	}
	for _, b := range r.Builds {
		if b.ManifestDigest != r.IndexDigest {
			keys = append(keys, "digest:"+b.ManifestDigest)
		}
	}
	for _, k := range keys {
		if err := c.writeRef(c.refPath(r.Repository, k), data); err != nil {
			return err
		}
	}
	return nil
}

func (r Resolution) check() error {
	if r.Repository == "" {
		return errors.New("no repository")
	}
	if err := digest.Digest(r.IndexDigest).Validate(); err != nil {
		return fmt.Errorf("index digest %q: %w", r.IndexDigest, err)
	}
	if len(r.Builds) == 0 {
		return errors.New("no builds")
	}
	for p, b := range r.Builds {
		if digest.Digest(b.ManifestDigest).Validate() != nil || digest.Digest(b.LayerDigest).Validate() != nil {
			return fmt.Errorf("build %s has an invalid manifest or layer digest", p)
		}
	}
	return nil
}

func mergeBuilds(old, cur map[string]Build) map[string]Build {
	out := maps.Clone(old)
	maps.Copy(out, cur)
	return out
}

// Recall returns the resolution remembered for repository:tag.
func (c *Cache) Recall(repository, tag string) (Resolution, bool) {
	r, ok := c.readRef(c.refPath(repository, "tag:"+tag))
	if !ok || r.Repository != repository || r.Tag != tag {
		return Resolution{}, false
	}
	return r, true
}

// RecallDigest returns the resolution of the version whose index, or one of
// whose manifests, has digest d, for repository@d.
func (c *Cache) RecallDigest(repository, d string) (Resolution, bool) {
	r, ok := c.readRef(c.refPath(repository, "digest:"+d))
	if !ok || r.Repository != repository {
		return Resolution{}, false
	}
	if r.IndexDigest == d {
		return r, true
	}
	for _, b := range r.Builds {
		if b.ManifestDigest == d {
			return r, true
		}
	}
	return Resolution{}, false
}

// refPath names the memo for key in repository. Hashing turns any
// repository (host:port, slashes, case that a case-insensitive file system
// would fold) into a safe, fixed-length file name; the file repeats the
// names, which the readers compare.
func (c *Cache) refPath(repository, key string) string {
	h := sha256.Sum256([]byte(repository + "\x00" + key))
	return filepath.Join(c.root, refsDir, hex.EncodeToString(h[:20])+".json")
}

// readRef reads a memo; anything missing, oversized or malformed is a miss.
func (c *Cache) readRef(path string) (Resolution, bool) {
	f, err := os.Open(path)
	if err != nil {
		return Resolution{}, false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxResolution+1))
	var r Resolution
	if err != nil || len(data) > maxResolution || json.Unmarshal(data, &r) != nil || r.check() != nil {
		return Resolution{}, false
	}
	return r, true
}

// writeRef replaces the memo at path atomically: readers see the old or the
// new content, never a mix. The temporary file lives under tmp/ so that
// Prune collects it should we be killed before the rename.
func (c *Cache) writeRef(path string, data []byte) error {
	tmp, err := c.tempDir()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	f, err := os.CreateTemp(tmp, "ref-")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("cache: writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}
