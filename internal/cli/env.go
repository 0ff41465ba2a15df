package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/mpak-oci/mpak"
	"github.com/mpak-oci/mpak/cache"
	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/internal/config"
	"github.com/mpak-oci/mpak/mcpb"
)

// Getenv reads a variable of the environment Main was given: the one
// place the command line consults it, so that the library takes every
// setting as an option.
func (a *App) Getenv(key string) string {
	v, _ := a.LookupEnv(key)
	return v
}

// LookupEnv is Getenv that tells an unset variable from an empty one.
func (a *App) LookupEnv(key string) (string, bool) {
	prefix := key + "="
	v, ok := "", false
	for _, kv := range a.opts.Environ {
		if strings.HasPrefix(kv, prefix) {
			v, ok = kv[len(prefix):], true // the last one wins, as in os/exec
		}
	}
	return v, ok
}

// Environ is the environment servers inherit.
func (a *App) Environ() []string { return a.opts.Environ }

// Config is the user's configuration file, read once per run.
func (a *App) Config() (*config.Config, error) {
	if a.cfg == nil {
		p, err := config.Path(a.Getenv)
		if err != nil {
			return nil, err
		}
		if a.cfg, err = config.Load(p); err != nil {
			return nil, err
		}
	}
	return a.cfg, nil
}

// OpenCache opens the bundle cache: $MPAK_CACHE, else the user's cache
// directory.
func (a *App) OpenCache() (*cache.Cache, error) { return a.openCache(cache.Options{}) }

func (a *App) openCache(opts cache.Options) (*cache.Cache, error) {
	dir, err := cache.DefaultDir(a.Getenv)
	if err != nil {
		return nil, err
	}
	if opts.Limits, err = a.archiveLimits(); err != nil {
		return nil, err
	}
	return cache.OpenWith(dir, opts)
}

// sourceDate is $SOURCE_DATE_EPOCH as a time, zero when unset: what
// reproducible builds pin timestamps to.
func (a *App) sourceDate() (time.Time, error) {
	s := strings.TrimSpace(a.Getenv("SOURCE_DATE_EPOCH"))
	if s == "" {
		return time.Time{}, nil
	}
	return mcpb.ParseSourceDateEpoch(s)
}

// archiveLimits are the caps on what reading a bundle may unpack, raised
// with $MPAK_ARCHIVE_LIMITS.
func (a *App) archiveLimits() (mcpb.Limits, error) {
	l, err := mcpb.ParseLimits(a.Getenv(mcpb.EnvLimits))
	if err != nil {
		return mcpb.Limits{}, fmt.Errorf("%s: %w", mcpb.EnvLimits, err)
	}
	return l, nil
}

// Client is the library facade with this run's settings: the registry
// defaults, the cache, the trust policy (the config file's, made stricter
// by pf), the archive limits and the environment.
func (a *App) Client(pf PolicyFlags) (*mpak.Client, error) {
	opts, err := a.clientOptions(true)
	if err != nil {
		return nil, err
	}
	if opts.Policy, err = a.Policy(pf, opts.Cache.Dir()); err != nil {
		return nil, err
	}
	return mpak.New(opts), nil
}

// ScanClient is the facade for a scan: the policy comes along when it
// loads, so that the level a scan reaches here counts for --min-level,
// but a policy that does not load (a trusted key file moved away) does
// not stop a scan, which checks nothing against it.
func (a *App) ScanClient() (*mpak.Client, error) {
	opts, err := a.clientOptions(true)
	if err != nil {
		return nil, err
	}
	if pol, err := a.Policy(PolicyFlags{}, opts.Cache.Dir()); err == nil {
		opts.Policy = pol
	}
	return mpak.New(opts), nil
}

// PlainClient is the facade for commands that trust nothing they fetch
// (push, lock, copy, inspect, ...): no policy to load, and a cache only
// when the command reads it.
func (a *App) PlainClient(withCache bool) (*mpak.Client, error) {
	opts, err := a.clientOptions(withCache)
	if err != nil {
		return nil, err
	}
	return mpak.New(opts), nil
}

func (a *App) clientOptions(withCache bool) (mpak.Options, error) {
	opts := mpak.Options{Remote: a.Remote, Environ: a.Environ(), CatalogURL: a.Getenv(catalogapi.EnvIndexURL)}
	cfg, err := a.Config()
	if err != nil {
		return opts, err
	}
	if opts.Defaults, err = cfg.Defaults(a.Getenv(config.EnvRegistry)); err != nil {
		return opts, err
	}
	if opts.Limits, err = a.archiveLimits(); err != nil {
		return opts, err
	}
	if withCache {
		if opts.Cache, err = a.OpenCache(); err != nil {
			return opts, err
		}
	}
	return opts, nil
}
