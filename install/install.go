// Package install brings a bundle version into the local cache, verified and
// extracted, ready to launch. It decides when the registry must be asked:
// a digest pin, a locked reference or an exact version already cached is
// served from disk, so warm runs start without a single network round trip.
package install

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/cache"
	"github.com/mpak-oci/mpak/lock"
	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/oci/resolve"
)

// ErrOffline is matched when a run needs the registry but --offline forbids it.
var ErrOffline = errors.New("not in the cache and --offline forbids the network")

// Options says where bundles come from and go to.
type Options struct {
	Remote connect.Options
	Cache  *cache.Cache
	// Platform to select (default: this machine).
	Platform mediatypes.Platform
	// Offline never contacts a registry.
	Offline bool
	// Update re-resolves versions even when an exact version is cached.
	Update bool
	// Lock pins references: a locked reference always resolves to its
	// recorded digest. LockKey is the reference as the user wrote it.
	Lock    *lock.File
	LockKey string
	// Progress draws the download, if any.
	Progress bundle.Progress
	// Check, when set, is asked about the version (its repository and
	// root digest) before anything is downloaded or extracted, and before
	// a cached version is used; online says whether it may use the
	// network. Its error refuses the version.
	Check func(ctx context.Context, repository ref.Reference, root digest.Digest, online bool) error
}

// check runs opts.Check on a version of repoName.
func (o Options) check(ctx context.Context, repoName string, root digest.Digest) error {
	if o.Check == nil {
		return nil
	}
	r, err := ref.Parse(repoName, ref.Defaults{})
	if err != nil {
		return err
	}
	return o.Check(ctx, r, root, !o.Offline)
}

func (o Options) platform() mediatypes.Platform {
	if o.Platform == (mediatypes.Platform{}) {
		return mediatypes.Host()
	}
	return o.Platform
}

// Result is an installed bundle.
type Result struct {
	Entry    *cache.Entry
	Manifest *mcpb.Manifest
	// Repository and Tag are where it came from (Tag empty for digest pins
	// and local files); Digest is the version's index or manifest digest.
	Repository string
	Tag        string
	Digest     digest.Digest
	Platform   mediatypes.Platform
	// Cached is true when no registry was contacted.
	Cached bool
	// Warning is set when the version was pinned exactly and the registry
	// marks it yanked: what to tell the user (on stderr; stdout belongs to
	// the server). A cached version is not asked about: warm runs make no
	// request.
	Warning string
}

// Install resolves r and makes sure the selected build is in the cache.
func Install(ctx context.Context, r ref.Reference, opts Options) (*Result, error) {
	if opts.Cache == nil {
		return nil, fmt.Errorf("install: no cache configured")
	}
	repoName := r.RepositoryRef()
	if opts.Lock != nil && opts.LockKey != "" {
		if e, ok := opts.Lock.Get(opts.LockKey); ok {
			// A lock never moves: the recorded digest wins over the range.
			r.Digest, repoName = e.Digest.String(), e.Repository
			pinned, err := ref.Parse(e.Repository+"@"+e.Digest.String(), ref.Defaults{})
			if err != nil {
				return nil, fmt.Errorf("lock entry %q: %w", opts.LockKey, err)
			}
			r = pinned
		}
	}
	if res, ok := fromCache(r, repoName, opts); ok {
		if err := opts.check(ctx, res.Repository, res.Digest); err != nil {
			return nil, err
		}
		return res, nil
	}
	if opts.Offline {
		return nil, offlineError(r, repoName, opts)
	}
	return fromRegistry(ctx, r, repoName, opts)
}

// fromCache serves digest pins and exact versions that were resolved before.
func fromCache(r ref.Reference, repoName string, opts Options) (*Result, bool) {
	var (
		res cache.Resolution
		ok  bool
	)
	switch {
	case r.Digest != "":
		res, ok = opts.Cache.RecallDigest(repoName, r.Digest)
	case opts.Update:
		return nil, false
	case resolve.IsExact(r.Version):
		tag, err := resolve.TagFor(r.Version)
		if err != nil {
			return nil, false
		}
		res, ok = opts.Cache.Recall(repoName, tag)
	case opts.Offline:
		// A range offline is answered from what the cache holds.
		tag, err := resolve.Select(cachedTags(opts.Cache, repoName), r.Version)
		if err != nil {
			return nil, false
		}
		res, ok = opts.Cache.Recall(repoName, tag)
	}
	if !ok {
		return nil, false
	}
	return fromResolution(res, opts)
}

func fromResolution(res cache.Resolution, opts Options) (*Result, bool) {
	host := opts.platform()
	best, rank := "", 0
	for p := range res.Builds {
		pp, err := mediatypes.ParsePlatform(p)
		if err != nil {
			continue
		}
		if m := pp.Match(host); m > rank {
			best, rank = p, m
		}
	}
	if rank == 0 {
		return nil, false
	}
	b := res.Builds[best]
	e, ok := opts.Cache.Lookup(digest.Digest(b.LayerDigest))
	if !ok {
		return nil, false
	}
	m, err := readManifest(e.Dir)
	if err != nil {
		return nil, false
	}
	p, _ := mediatypes.ParsePlatform(best)
	opts.Cache.Touch(e)
	return &Result{Entry: e, Manifest: m, Repository: res.Repository, Tag: res.Tag,
		Digest: digest.Digest(res.IndexDigest), Platform: p, Cached: true}, true
}

func cachedTags(c *cache.Cache, repoName string) []string {
	entries, err := c.List()
	if err != nil {
		return nil
	}
	var tags []string
	for _, e := range entries {
		if e.Meta.Repository == repoName && e.Meta.Tag != "" {
			tags = append(tags, e.Meta.Tag)
		}
	}
	return tags
}

func offlineError(r ref.Reference, repoName string, opts Options) error {
	tags := cachedTags(opts.Cache, repoName)
	if len(tags) == 0 {
		return fmt.Errorf("%s: %w; run once online first (or mpak bundle pull)", r, ErrOffline)
	}
	return fmt.Errorf("%s: %w (cached versions: %v)", r, ErrOffline, resolve.Versions(tags))
}

// fromRegistry resolves over the network and installs what it selects.
func fromRegistry(ctx context.Context, r ref.Reference, repoName string, opts Options) (*Result, error) {
	repo, err := opts.Remote.Repository(r)
	if err != nil {
		return nil, err
	}
	v, err := bundle.ResolveVersion(ctx, repo, r)
	if err != nil {
		return nil, err
	}
	if err := opts.check(ctx, repoName, v.Root.Digest); err != nil {
		return nil, err
	}
	entry, err := v.Select(opts.platform())
	if err != nil {
		return nil, err
	}
	art, err := bundle.Fetch(ctx, repo, entry)
	if err != nil {
		return nil, err
	}
	tag := ""
	if r.Digest == "" {
		tag = v.Reference
	}
	e, err := ensure(ctx, repo, repoName, tag, v, art, opts)
	if err != nil {
		return nil, err
	}
	m, err := readManifest(e.Dir)
	if err != nil {
		return nil, err
	}
	if err := checkConfig(art, e, opts.Cache); err != nil {
		return nil, err
	}
	res := cache.Resolution{Repository: repoName, Tag: tag, IndexDigest: v.Root.Digest.String(), ResolvedAt: time.Now().UTC(),
		Builds: map[string]cache.Build{entry.Platform.String(): {
			ManifestDigest: entry.Descriptor.Digest.String(), LayerDigest: art.Layer.Digest.String(), Size: art.Layer.Size}}}
	// The memo only saves round trips; failing to write it must not fail the run.
	_ = opts.Cache.Remember(res)
	opts.Cache.Touch(e)
	return &Result{Entry: e, Manifest: m, Repository: repoName, Tag: tag, Digest: v.Root.Digest, Platform: entry.Platform,
		Warning: v.Warning}, nil
}

func ensure(ctx context.Context, repo *remote.Repository, repoName, tag string, v *bundle.Version, art *bundle.Artifact, opts Options) (*cache.Entry, error) {
	if e, ok := opts.Cache.Lookup(art.Layer.Digest); ok {
		return e, nil
	}
	meta := cache.Meta{Repository: repoName, Tag: tag, IndexDigest: v.Root.Digest.String(),
		ManifestDigest: art.Entry.Descriptor.Digest.String(), Platform: art.Entry.Platform.String(),
		Size: art.Layer.Size, Source: "registry"}
	return opts.Cache.Install(ctx, art.Layer.Digest, meta, func(w io.Writer) error {
		return bundle.FetchBundle(ctx, repo, art.Layer, w, opts.Progress)
	})
}

// checkConfig refuses a version whose advertised manifest.json is not the
// one inside the bundle, and drops the cache entry it would poison.
func checkConfig(art *bundle.Artifact, e *cache.Entry, c *cache.Cache) error {
	if art.Manifest.Config.MediaType != mediatypes.Config {
		return nil
	}
	inside, err := os.ReadFile(filepath.Join(e.Dir, mcpb.ManifestFile))
	if err != nil {
		return err
	}
	if string(inside) != string(art.Config) {
		_ = c.Remove(e.Digest)
		return fmt.Errorf("bundle %s: its manifest.json differs from the config the registry lists: refusing a tampered or mis-pushed version", art.Layer.Digest)
	}
	return nil
}

// InstallLocal extracts a local .mcpb into the cache (for run --local).
func InstallLocal(path string, opts Options) (*Result, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	e, err := opts.Cache.InstallFile(abs, cache.Meta{Source: abs})
	if err != nil {
		return nil, err
	}
	m, err := readManifest(e.Dir)
	if err != nil {
		return nil, err
	}
	opts.Cache.Touch(e)
	return &Result{Entry: e, Manifest: m, Digest: e.Digest, Platform: mediatypes.AnyPlatform, Cached: true}, nil
}

func readManifest(dir string) (*mcpb.Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, mcpb.ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("cached bundle %s: %w (remove it with mpak cache rm)", dir, err)
	}
	m, _, err := mcpb.ParseManifest(b, mcpb.ParseOptions{})
	return m, err
}
