package mpak

import (
	"context"
	"encoding/json"
	"path"

	"github.com/Masterminds/semver/v3"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mpak-oci/mpak/launch"
	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mcpclients"
	"github.com/mpak-oci/mpak/mediatypes"
)

// ForClient is a version ready to be wired into an MCP client's
// configuration: resolved once, allowed by the policy, its manifest read
// (for user_config) from the registry without downloading the bundle.
type ForClient struct {
	Resolved *Resolved
	Manifest *mcpb.Manifest
	// Version is the version the reference resolved to.
	Version string
	// Ref is what the client's entry runs, fully qualified: the reference
	// as asked (a range stays a range, so `mpak run` follows it), or the
	// digest when pinned.
	Ref string
}

// ForClientOptions tune PrepareForClient.
type ForClientOptions struct {
	// Pin writes the resolved digest instead of the reference asked.
	Pin bool
	// Platform is the build whose manifest is read (default: this machine).
	Platform mediatypes.Platform
}

// PrepareForClient resolves s, asks the policy about that version (so a
// bundle the user's policy refuses is never wired into a client) and
// reads its manifest.
func (c *Client) PrepareForClient(ctx context.Context, s string, opts ForClientOptions) (*ForClient, error) {
	r, err := c.Resolve(ctx, s)
	if err != nil {
		return nil, err
	}
	if err := c.Check(ctx, r); err != nil {
		return nil, err
	}
	m, err := c.manifest(ctx, r, opts.Platform)
	if err != nil {
		return nil, err
	}
	fc := &ForClient{Resolved: r, Manifest: m, Version: versionOf(r), Ref: r.Ref.String()}
	if opts.Pin {
		fc.Ref = r.Name()
	}
	return fc, nil
}

// EntryName is the name the client's entry gets unless the user picks
// one: the bundle's name (weather for @acme/weather).
func (f *ForClient) EntryName() string {
	if f.Resolved.Ref.Name != "" {
		return f.Resolved.Ref.Name
	}
	return path.Base(f.Resolved.Ref.Repository)
}

// Entry is the client's entry for this version: mpak (at exe, absolute,
// since clients started from a desktop do not have the shell's PATH)
// running Ref with the ordinary user_config values as --config
// arguments, and env, the settings mpak itself needs to find where it
// keeps them when they are not the default.
func (f *ForClient) Entry(exe string, cfg *ClientConfig, env map[string]string) mcpclients.Entry {
	e := mcpclients.Entry{Command: exe, Args: append([]string{"run", f.Ref}, cfg.Args...)}
	if len(env) > 0 {
		e.Env = env
	}
	return e
}

// Wiring is the record of this version wired into file under name.
func (f *ForClient) Wiring(scope mcpclients.Scope, file, name string, e mcpclients.Entry) mcpclients.Wiring {
	return mcpclients.Wiring{Scope: scope, File: file, Name: name, Ref: f.Ref, Repository: f.Resolved.Ref.RepositoryRef(),
		Version: f.Version, Digest: f.Resolved.Version.Root.Digest.String(), Entry: e}
}

// versionOf is the version a resolved index declares, else its tag.
func versionOf(r *Resolved) string {
	if r.Version.Index != nil {
		if v := r.Version.Index.Annotations[ocispec.AnnotationVersion]; v != "" {
			return v
		}
	}
	return r.Version.Reference
}

// ClientConfig is where the user_config values given for a client entry
// go: Args (--config KEY=VALUE for `mpak run`, in the client's file) for
// ordinary values, Secrets (to be saved in mpak's owner-only
// configuration) for the ones the bundle marks sensitive, which never go
// into a client's file.
type ClientConfig struct {
	Args    []string
	Secrets map[string]string
}

// SplitUserConfig checks the values given for a bundle's user_config
// (as `mpak run` would: types, ranges, paths made absolute) and sorts
// them into a ClientConfig. A required key that has neither a given, a
// stored nor a default value is a *launch.MissingError: the caller asks
// for it. The environment is not consulted: the client that starts the
// server will not have this shell's. dirs expand ~ in paths (nil: none).
func SplitUserConfig(m *mcpb.Manifest, given map[string][]string, stored map[string]string, dirs *launch.SystemDirs) (*ClientConfig, error) {
	if dirs == nil {
		dirs = &launch.SystemDirs{}
	}
	values, err := launch.ResolveUserConfig(m, launch.Sources{Flags: given, Stored: stored, SystemDirs: dirs})
	if err != nil {
		return nil, err
	}
	out := &ClientConfig{Secrets: map[string]string{}}
	for _, key := range m.UserConfigKeys() {
		if _, ok := given[key]; !ok {
			continue
		}
		v := values[key]
		if m.UserConfig[key].Sensitive {
			s := ""
			if v.Multiple {
				b, err := json.Marshal(v.List)
				if err != nil {
					return nil, err
				}
				s = string(b)
			} else if len(v.List) > 0 {
				s = v.List[0]
			}
			out.Secrets[key] = s
			continue
		}
		for _, one := range v.List {
			out.Args = append(out.Args, "--config", key+"="+one)
		}
	}
	return out, nil
}

// Currency is what an installed reference means now.
type Currency struct {
	// Current is the version the reference resolves to now; Latest the
	// repository's highest release.
	Current, Latest string
	// UpdateAvailable: Latest is newer than Current (the reference is
	// pinned or a range that excludes it).
	UpdateAvailable bool
}

// Currency resolves s and the latest release of its repository.
func (c *Client) Currency(ctx context.Context, s string) (*Currency, error) {
	r, err := c.Resolve(ctx, s)
	if err != nil {
		return nil, err
	}
	latest, err := c.ResolveRef(ctx, r.Ref.WithVersion(""))
	if err != nil {
		return nil, err
	}
	cur := &Currency{Current: versionOf(r), Latest: versionOf(latest)}
	a, errA := semver.NewVersion(cur.Current)
	b, errB := semver.NewVersion(cur.Latest)
	cur.UpdateAvailable = errA == nil && errB == nil && b.GreaterThan(a)
	return cur, nil
}
