package cli

import (
	"cmp"
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/cache"
)

type CacheEntryOutput struct {
	Digest     string    `json:"digest"`
	Repository string    `json:"repository,omitempty"`
	Version    string    `json:"version,omitempty"`
	Platform   string    `json:"platform,omitempty"`
	Source     string    `json:"source,omitempty"`
	Size       int64     `json:"size"`
	Dir        string    `json:"dir"`
	LastUsed   time.Time `json:"last_used"`
}

func (a *App) cacheCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "List, remove and prune cached bundles",
		Long:  "Bundles are cached by digest under $MPAK_CACHE (default: the XDG cache directory, e.g. ~/.cache/mpak).",
	}
	var jsonOut bool
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List cached bundles",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.OpenCache()
			if err != nil {
				return err
			}
			entries, err := c.List()
			if err != nil {
				return err
			}
			out := []CacheEntryOutput{}
			for _, e := range entries {
				out = append(out, CacheEntryOutput{Digest: e.Digest.String(), Repository: e.Meta.Repository, Version: e.Meta.Tag,
					Platform: e.Meta.Platform, Source: e.Meta.Source, Size: e.Meta.Size, Dir: e.Dir, LastUsed: e.LastUsed})
			}
			return a.Emit(jsonOut, out, func() {
				for _, e := range out {
					a.printf("%s  %-40s %-12s %-12s %10s  used %s\n", shortDigest(e.Digest), cmp.Or(e.Repository, e.Source), e.Version, e.Platform,
						humanSize(e.Size), e.LastUsed.Format(time.DateOnly))
				}
			})
		},
	}
	JSONFlag(ls, &jsonOut)

	rm := &cobra.Command{
		Use:   "rm DIGEST|REPOSITORY...",
		Short: "Remove cached bundles by digest (a unique prefix is enough) or every build of a repository",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.PlainClient(true)
			if err != nil {
				return err
			}
			for _, arg := range args {
				removed, err := c.Uncache(arg)
				for _, e := range removed {
					a.Infof("removed %s %s", shortDigest(e.Digest.String()), e.Meta.Repository)
				}
				if err != nil {
					return err
				}
			}
			return nil
		},
	}

	var unused time.Duration
	var all, dry bool
	prune := &cobra.Command{
		Use:   "prune",
		Short: "Remove bundles not used recently, and leftovers of interrupted installs",
		Long: "Removes the bundles not run for --unused-for, and what interrupted installs left under the cache's tmp/\n" +
			"directory: at once when the process that made it is gone, after an hour when that cannot be proven\n" +
			"(a file system without locks). Every mpak command that opens the cache also removes the former.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Prune removes the leftovers of killed installs itself, so
			// that it can report them, and a dry run only reports them.
			c, err := a.openCache(cache.Options{KeepLeftovers: true})
			if err != nil {
				return err
			}
			opts := cache.PruneOptions{UnusedFor: unused, DryRun: dry}
			if all {
				opts.UnusedFor = 0
			} else if unused <= 0 {
				return fmt.Errorf("--unused-for must be positive; use --all to empty the cache")
			}
			r, err := c.Prune(opts)
			verb, freed := "removed", "freed"
			if dry {
				verb, freed = "would remove", "would free"
			}
			for _, e := range r.Removed {
				a.Infof("%s %s %s %s", verb, shortDigest(e.Digest.String()), e.Meta.Repository, e.Meta.Tag)
			}
			// Reported even when some removal failed: what was freed was.
			a.printf("%s %s, %s\n", verb, countNoun(len(r.Removed), "bundle", "bundles"), humanSize(r.EntryBytes))
			a.printf("%s %s of interrupted installs, %s\n", verb, countNoun(r.Leftovers, "leftover", "leftovers"), humanSize(r.LeftoverBytes))
			a.printf("%s %s\n", freed, humanSize(r.Freed()))
			return err
		},
	}
	prune.Flags().DurationVar(&unused, "unused-for", 30*24*time.Hour, "remove bundles not run for this long")
	prune.Flags().BoolVar(&all, "all", false, "remove every cached bundle")
	prune.Flags().BoolVar(&dry, "dry-run", false, "only print what would be removed")
	cmd.AddCommand(ls, rm, prune)
	return cmd
}

// countNoun is "1 bundle", "2 bundles".
func countNoun(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func shortDigest(d string) string {
	enc := digest.Digest(d).Encoded()
	if len(enc) > 12 {
		return enc[:12]
	}
	return d
}
