package mpak

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/mpak-oci/mpak/install"
	"github.com/mpak-oci/mpak/lock"
	"github.com/mpak-oci/mpak/oci/ref"
)

// Pin resolves s to the version and root digest it means now, as a lock
// file records it; warning is set when s names a yanked version exactly.
func (c *Client) Pin(ctx context.Context, s string) (e lock.Entry, warning string, err error) {
	r, err := c.Parse(s)
	if err != nil {
		return lock.Entry{}, "", err
	}
	_, res, root, err := c.query(ctx, r)
	if err != nil {
		return lock.Entry{}, "", err
	}
	e = lock.Entry{Repository: r.RepositoryRef(), Version: res.Reference, Digest: root.Digest}
	if r.Digest != "" {
		e.Version = ""
	}
	return e, res.Warning(), nil
}

// Locked is a reference Lock pinned.
type Locked struct {
	Ref   string
	Entry lock.Entry
	// Warning is set when Ref names a yanked version exactly.
	Warning string
}

// Lock pins each of refs, as written, to the version and root digest it
// resolves to now (Pin), in lockFile, which is created if missing. The
// file is written only when every reference resolved; what was pinned
// before a failure is returned with it.
func (c *Client) Lock(ctx context.Context, lockFile string, refs []string) ([]Locked, error) {
	lf, err := lock.Load(lockFile)
	if err != nil {
		return nil, err
	}
	var out []Locked
	for _, s := range refs {
		e, warning, err := c.Pin(ctx, s)
		if err != nil {
			return out, err
		}
		lf.Set(s, e)
		out = append(out, Locked{Ref: s, Entry: e, Warning: warning})
	}
	return out, lf.Save(lockFile)
}

// Pins lists what is pinned: the references locked in lockFile (when it
// exists) and, per repository, the newest version in the cache; only,
// when set, keeps the pins of that reference.
func (c *Client) Pins(lockFile, only string) ([]install.Pinned, *lock.File, error) {
	var out []install.Pinned
	var lf *lock.File
	if _, err := os.Stat(lockFile); err == nil {
		if lf, err = lock.Load(lockFile); err != nil {
			return nil, nil, err
		}
		for _, key := range lf.Refs() {
			if only != "" && key != only {
				continue
			}
			r, err := c.Parse(key)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", lockFile, err)
			}
			out = append(out, install.Pinned{Key: key, Reference: r, Current: lf.Bundles[key].Version, Source: "lock"})
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, nil, err
	}
	if c.opts.Cache == nil {
		return out, lf, nil
	}
	entries, err := c.opts.Cache.List()
	if err != nil {
		return nil, nil, err
	}
	newest := map[string]string{}
	for _, e := range entries {
		if e.Meta.Repository == "" || e.Meta.Tag == "" {
			continue
		}
		if cur, ok := newest[e.Meta.Repository]; !ok || install.Newer(e.Meta.Tag, cur) {
			newest[e.Meta.Repository] = e.Meta.Tag
		}
	}
	var want ref.Reference
	if only != "" {
		var err error
		if want, err = c.Parse(only); err != nil {
			return out, lf, nil // a lock key that is no reference matches no repository
		}
	}
	repos := make([]string, 0, len(newest))
	for repo := range newest {
		repos = append(repos, repo)
	}
	slices.Sort(repos)
	for _, repo := range repos {
		r, err := ref.Parse(repo, ref.Defaults{})
		if err != nil || only != "" && want.RepositoryRef() != repo {
			continue
		}
		out = append(out, install.Pinned{Key: repo, Reference: r, Current: newest[repo], Source: "cache"})
	}
	return out, lf, nil
}

// Outdated compares every pin (see Pins) with what the registry offers.
func (c *Client) Outdated(ctx context.Context, lockFile string) ([]install.Status, error) {
	pins, _, err := c.Pins(lockFile, "")
	if err != nil {
		return nil, err
	}
	return install.Outdated(ctx, c.opts.Remote, pins)
}

// Moved is a pin Update moved.
type Moved struct {
	Key      string
	From, To string
}

// Update installs, for every pin (or only's), the highest version its
// range allows, under the policy like any install, and moves the lock
// file's pins to them.
func (c *Client) Update(ctx context.Context, lockFile, only string) ([]Moved, error) {
	pins, lf, err := c.Pins(lockFile, only)
	if err != nil {
		return nil, err
	}
	if len(pins) == 0 {
		return nil, fmt.Errorf("nothing locked in %s or cached matches %q", lockFile, only)
	}
	if c.opts.Cache == nil {
		return nil, errNoCache
	}
	var moved []Moved
	changed := false
	opts := c.installOptions(InstallOptions{Update: true})
	for _, p := range pins {
		r := p.Reference
		if p.Source == "cache" {
			r = r.WithVersion("")
		}
		res, err := install.Install(ctx, r, opts)
		if err != nil {
			return moved, fmt.Errorf("%s: %w", p.Key, err)
		}
		if res.Tag == p.Current {
			continue
		}
		moved = append(moved, Moved{Key: p.Key, From: p.Current, To: res.Tag})
		if p.Source == "lock" {
			lf.Set(p.Key, lock.Entry{Repository: res.Repository, Version: res.Tag, Digest: res.Digest})
			changed = true
		}
	}
	if changed {
		return moved, lf.Save(lockFile)
	}
	return moved, nil
}
