package launch

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// CachedProbe is ExecProbe with its answers kept in cacheFile, a small JSON
// file, keyed by the runtime binary's resolved path, size and modification
// time. Starting node just to read its version costs about 30 ms; a warm run
// only stats the binary. Upgrading the runtime changes the size or mtime
// and so the key; a broken or unwritable cache just means probing again.
//
// Version-manager shims (pyenv, asdf, volta) are never cached: the same
// shim runs a different version depending on the directory and the
// environment.
//
// lookPath finds the binary (nil means exec.LookPath); it is called on every
// probe, since PATH decides which runtime runs.
func CachedProbe(cacheFile string, lookPath func(string) (string, error)) Probe {
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	return func(rt string) (string, error) {
		p, err := runtimePath(rt, lookPath)
		if err != nil {
			return "", err
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			return "", err
		}
		fi, err := os.Stat(real)
		if err != nil {
			return "", err
		}
		if isShim(p) || isShim(real) {
			return runVersion(p)
		}
		key := probeKey{Size: fi.Size(), ModTime: fi.ModTime().UnixNano()}
		c := readProbeCache(cacheFile)
		if e, ok := c.Binaries[real]; ok && e.probeKey == key && e.Version != "" {
			return e.Version, nil
		}
		v, err := runVersion(p)
		if err != nil {
			return "", err
		}
		c.Binaries[real] = probeEntry{probeKey: key, Version: v}
		c.prune()
		c.write(cacheFile) // best effort: the next run probes again
		return v, nil
	}
}

type probeCache struct {
	Binaries map[string]probeEntry `json:"binaries"`
}

type probeKey struct {
	Size    int64 `json:"size"`
	ModTime int64 `json:"mtime_ns"`
}

type probeEntry struct {
	probeKey
	Version string `json:"version"`
}

func readProbeCache(path string) *probeCache {
	c := &probeCache{}
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, c) // a corrupt cache is an empty one
	}
	if c.Binaries == nil {
		c.Binaries = map[string]probeEntry{}
	}
	return c
}

// prune drops entries for binaries that are gone (an uninstalled node
// version), so the file stays small however often runtimes change.
func (c *probeCache) prune() {
	for p := range c.Binaries {
		if _, err := os.Stat(p); err != nil {
			delete(c.Binaries, p)
		}
	}
}

// write replaces the file atomically, so a concurrent run reads either the
// old or the new cache, never half of one.
func (c *probeCache) write(path string) {
	b, err := json.Marshal(c)
	if err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".probe-*.tmp")
	if err != nil {
		return
	}
	_, werr := f.Write(b)
	cerr := f.Close()
	if werr != nil || cerr != nil || os.Rename(f.Name(), path) != nil {
		os.Remove(f.Name())
	}
}

// isShim recognises version managers' dispatchers by where they live.
func isShim(p string) bool {
	p = filepath.ToSlash(p)
	return strings.Contains(p, "/shims/") || strings.HasPrefix(filepath.Base(p), "volta-shim")
}
