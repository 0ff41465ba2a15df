package cli

import (
	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/install"
	"github.com/mpak-oci/mpak/lock"
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
			c, err := a.PlainClient(false)
			if err != nil {
				return err
			}
			locked, err := c.Lock(cmd.Context(), file, args)
			for _, l := range locked {
				a.Warn(l.Warning)
				a.printf("%s → %s %s\n", l.Ref, l.Entry.Version, l.Entry.Digest)
			}
			return err
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", lock.DefaultFile, "lock file")
	return cmd
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
			c, err := a.PlainClient(true)
			if err != nil {
				return err
			}
			st, err := c.Outdated(cmd.Context(), lockFile)
			if err != nil {
				return err
			}
			if st == nil {
				st = []install.Status{}
			}
			return a.Emit(jsonOut, st, func() {
				if len(st) == 0 {
					a.Infof("everything is up to date")
					return
				}
				a.printf("%-40s %-12s %-12s %-12s %s\n", "BUNDLE", "CURRENT", "WANTED", "LATEST", "FROM")
				for _, s := range st {
					a.printf("%-40s %-12s %-12s %-12s %s\n", s.Key, s.Current, s.Wanted, s.Latest, s.Source)
				}
			})
		},
	}
	cmd.Flags().StringVar(&lockFile, "lock", lock.DefaultFile, "lock file to check (if it exists)")
	JSONFlag(cmd, &jsonOut)
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
			c, err := a.Client(PolicyFlags{})
			if err != nil {
				return err
			}
			moved, err := c.Update(cmd.Context(), lockFile, only)
			for _, m := range moved {
				a.printf("%s %s → %s\n", m.Key, m.From, m.To)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&lockFile, "lock", lock.DefaultFile, "lock file to update (if it exists)")
	return cmd
}
