package mpak

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/mpak-oci/mpak/install"
	"github.com/mpak-oci/mpak/launch"
	"github.com/mpak-oci/mpak/lock"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
)

// InstallOptions tune Install.
type InstallOptions struct {
	// Platform is the build to select (default: this machine).
	Platform mediatypes.Platform
	// Offline never contacts a registry: only the cache serves.
	Offline bool
	// Update re-resolves the version even if an exact one is cached.
	Update bool
	// LockFile, when set, pins the reference: the digest recorded there
	// is used, or the resolved one is recorded.
	LockFile string
	Progress bundle.Progress
}

// errNoCache is returned by what needs the cache when Options has none.
var errNoCache = errors.New("no bundle cache configured (mpak.Options.Cache)")

// Install makes sure the build of s for the platform is in the cache,
// verified and extracted: from the cache when s is a digest, a locked
// reference or an exact version already there (no request), else from
// the registry. The policy is asked first either way.
func (c *Client) Install(ctx context.Context, s string, opts InstallOptions) (*install.Result, error) {
	if c.opts.Cache == nil {
		return nil, errNoCache
	}
	r, err := c.Parse(s)
	if err != nil {
		return nil, err
	}
	iopts := c.installOptions(opts)
	var lf *lock.File
	if opts.LockFile != "" {
		if lf, err = lock.Load(opts.LockFile); err != nil {
			return nil, err
		}
		iopts.Lock, iopts.LockKey = lf, s
	}
	res, err := install.Install(ctx, r, iopts)
	if err != nil {
		return nil, err
	}
	if lf != nil {
		if _, pinned := lf.Get(s); !pinned {
			lf.Set(s, lock.Entry{Repository: res.Repository, Version: res.Tag, Digest: res.Digest})
			if err := lf.Save(opts.LockFile); err != nil {
				return nil, fmt.Errorf("writing %s: %w", opts.LockFile, err)
			}
		}
	}
	return res, nil
}

// InstallFile puts a local .mcpb file into the cache.
func (c *Client) InstallFile(path string, opts InstallOptions) (*install.Result, error) {
	if c.opts.Cache == nil {
		return nil, errNoCache
	}
	return install.InstallLocal(path, c.installOptions(opts))
}

func (c *Client) installOptions(opts InstallOptions) install.Options {
	io := install.Options{Remote: c.opts.Remote, Cache: c.opts.Cache, Platform: opts.Platform, Offline: opts.Offline,
		Update: opts.Update, Progress: opts.Progress}
	if c.opts.Policy.Active() {
		io.Check = c.opts.Policy.Check
	}
	return io
}

// CommandOptions are what starting a server needs besides the bundle.
type CommandOptions struct {
	// Flags are user_config values given for this start (key → values);
	// Stored the ones saved for the bundle. Both win over the environment.
	Flags  map[string][]string
	Stored map[string]string
	// SetCommand is how the user saves a value, for the message naming
	// a missing required one (e.g. "mpak config set @acme/weather").
	SetCommand string
	// Args are appended to the server's own arguments.
	Args []string
}

// Command works out how to start an installed bundle's server: its
// user_config resolved (flags, saved values, the environment, defaults),
// its compatibility with this machine checked, its command line built.
func (c *Client) Command(res *install.Result, opts CommandOptions) (*launch.Command, error) {
	if c.opts.Cache == nil {
		return nil, errNoCache
	}
	values, err := launch.ResolveUserConfig(res.Manifest, launch.Sources{Flags: opts.Flags, Stored: opts.Stored,
		Environ: c.opts.Environ, SetCommand: opts.SetCommand})
	if err != nil {
		return nil, err
	}
	probe := launch.CachedProbe(filepath.Join(c.opts.Cache.Dir(), "runtimes.json"), exec.LookPath)
	if err := launch.CheckCompatibility(res.Manifest, runtime.GOOS, probe); err != nil {
		return nil, err
	}
	cmd, err := launch.Build(launch.Request{Manifest: res.Manifest, Dir: res.Entry.Dir, UserConfig: values, Environ: c.opts.Environ})
	if err != nil {
		return nil, err
	}
	cmd.Args = append(cmd.Args, opts.Args...)
	return cmd, nil
}
