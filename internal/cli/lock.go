package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/install"
	"github.com/mpak-oci/mpak/oci/lock"
	"github.com/mpak-oci/mpak/oci/ref"
)

func (a *App) lockCommand() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "lock REF...",
		Short: "Pin references to the digests they resolve to now, in a lock file",
		Long: "Records, for each REF as written, the version and index digest it resolves to. `mpak run --lock FILE REF`\n" +
			"then runs exactly those bytes on every machine until `mpak update` moves the pin.",
		Example: "  mpak lock @acme/weather@^1.2 @acme/files\n  mpak run --lock mpak.lock @acme/weather@^1.2",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			lf, err := lock.Load(file)
			if err != nil {
				return err
			}
			for _, arg := range args {
				e, err := a.resolvePin(cmd, arg)
				if err != nil {
					return err
				}
				lf.Set(arg, e)
				a.printf("%s → %s %s\n", arg, e.Version, e.Digest)
			}
			return lf.Save(file)
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", lock.DefaultFile, "lock file")
	return cmd
}

// resolvePin resolves a reference to its current version and digest.
func (a *App) resolvePin(cmd *cobra.Command, arg string) (lock.Entry, error) {
	r, err := a.ParseRef(arg)
	if err != nil {
		return lock.Entry{}, err
	}
	repo, err := a.Remote.Repository(r)
	if err != nil {
		return lock.Entry{}, err
	}
	res, err := bundle.ResolveQuery(cmd.Context(), repo, r)
	if err != nil {
		return lock.Entry{}, err
	}
	a.Warn(res.Warning())
	tag, desc := res.Reference, res.Root
	if desc.Digest == "" {
		if desc, err = repo.Resolve(cmd.Context(), tag); err != nil {
			return lock.Entry{}, fmt.Errorf("resolving %s: %w", tag, err)
		}
	}
	e := lock.Entry{Repository: r.RepositoryRef(), Version: tag, Digest: desc.Digest}
	if r.Digest != "" {
		e.Version = ""
	}
	return e, nil
}

// pins collects what is locked (when the lock file exists) and cached.
func (a *App) pins(lockFile string, only string) ([]install.Pinned, *lock.File, error) {
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
			r, err := a.ParseRef(key)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", lockFile, err)
			}
			out = append(out, install.Pinned{Key: key, Reference: r, Current: lf.Bundles[key].Version, Source: "lock"})
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, nil, err
	}
	_, entries, err := a.cacheEntries()
	if err != nil {
		return nil, nil, err
	}
	newest := map[string]string{}
	for _, e := range entries {
		if e.Meta.Repository == "" || e.Meta.Tag == "" {
			continue
		}
		if cur, ok := newest[e.Meta.Repository]; !ok || moreRecent(e.Meta.Tag, cur) {
			newest[e.Meta.Repository] = e.Meta.Tag
		}
	}
	for _, repo := range sortedKeys(newest) {
		r, err := ref.Parse(repo, ref.Defaults{})
		if err != nil {
			continue
		}
		if only != "" {
			want, err := a.ParseRef(only)
			if err != nil || want.RepositoryRef() != repo {
				continue
			}
		}
		out = append(out, install.Pinned{Key: repo, Reference: r, Current: newest[repo], Source: "cache"})
	}
	return out, lf, nil
}

func (a *App) outdatedCommand() *cobra.Command {
	var lockFile string
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "outdated",
		Short: "List locked and cached bundles that have newer versions",
		Long:  "WANTED is the highest version the locked range allows; LATEST the highest release.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pins, _, err := a.pins(lockFile, "")
			if err != nil {
				return err
			}
			st, err := install.Outdated(cmd.Context(), a.Remote, pins)
			if err != nil {
				return err
			}
			if jsonOut {
				if st == nil {
					st = []install.Status{}
				}
				return a.PrintJSON(st)
			}
			if len(st) == 0 {
				a.Infof("everything is up to date")
				return nil
			}
			a.printf("%-40s %-12s %-12s %-12s %s\n", "BUNDLE", "CURRENT", "WANTED", "LATEST", "FROM")
			for _, s := range st {
				a.printf("%-40s %-12s %-12s %-12s %s\n", s.Key, s.Current, s.Wanted, s.Latest, s.Source)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&lockFile, "lock", lock.DefaultFile, "lock file to check (if it exists)")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the result as JSON")
	return cmd
}

func (a *App) updateCommand() *cobra.Command {
	var lockFile string
	cmd := &cobra.Command{
		Use:   "update [REF]",
		Short: "Move locked pins to the highest version their range allows and cache the newest builds",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			only := ""
			if len(args) == 1 {
				only = args[0]
			}
			pins, lf, err := a.pins(lockFile, only)
			if err != nil {
				return err
			}
			if len(pins) == 0 {
				return fmt.Errorf("nothing locked in %s or cached matches %q", lockFile, only)
			}
			c, err := a.OpenCache()
			if err != nil {
				return err
			}
			changed := false
			for _, p := range pins {
				r := p.Reference
				if p.Source == "cache" {
					r = r.WithVersion("")
				}
				res, err := install.Install(cmd.Context(), r, install.Options{Remote: a.Remote, Cache: c, Update: true})
				if err != nil {
					return fmt.Errorf("%s: %w", p.Key, err)
				}
				if res.Tag == p.Current {
					continue
				}
				a.printf("%s %s → %s\n", p.Key, p.Current, res.Tag)
				if p.Source == "lock" {
					lf.Set(p.Key, lock.Entry{Repository: res.Repository, Version: res.Tag, Digest: res.Digest})
					changed = true
				}
			}
			if changed {
				return lf.Save(lockFile)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&lockFile, "lock", lock.DefaultFile, "lock file to update (if it exists)")
	return cmd
}

// moreRecent reports whether version tag a sorts above b.
func moreRecent(a, b string) bool {
	return install.Newer(a, b)
}
