package cli

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/internal/config"
)

func (a *App) configCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Save user_config values for bundles (stored owner-only in the mpak config file)",
	}
	set := &cobra.Command{
		Use:     "set REF KEY=VALUE...",
		Short:   "Save values; repeat a KEY for an option that takes multiple values",
		Example: "  mpak config set @acme/weather api_key=sk-123 units=metric\n  mpak config set @acme/files dirs=/srv/a dirs=/srv/b",
		Args:    cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, cfg, err := a.configTarget(args[0])
			if err != nil {
				return err
			}
			values, order, err := KeyValues("value", args[1:])
			if err != nil {
				return err
			}
			cfg.Set(key, values, order)
			if err := cfg.Save(); err != nil {
				return err
			}
			a.Infof("saved %s for %s", strings.Join(order, ", "), key)
			return nil
		},
	}
	var jsonOut bool
	get := &cobra.Command{
		Use:   "get REF [KEY]",
		Short: "Show saved values; sensitive ones are masked",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, cfg, err := a.configTarget(args[0])
			if err != nil {
				return err
			}
			only := ""
			if len(args) == 2 {
				only = args[1]
			}
			var sensitive map[string]bool
			if c, err := a.PlainClient(true); err == nil {
				sensitive = c.SensitiveKeys(key)
			}
			out := cfg.Masked(key, only, sensitive)
			if only != "" && len(out) == 0 {
				return fmt.Errorf("no value saved for %s %s", key, only)
			}
			return a.Emit(jsonOut, out, func() {
				for _, k := range slices.Sorted(maps.Keys(out)) {
					a.printf("%s=%s\n", k, out[k])
				}
			})
		},
	}
	JSONFlag(get, &jsonOut)
	var listJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List bundles with saved values",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.Config()
			if err != nil {
				return err
			}
			out := cfg.Saved()
			return a.Emit(listJSON, out, func() {
				for _, b := range slices.Sorted(maps.Keys(out)) {
					a.printf("%s: %s\n", b, strings.Join(out[b], ", "))
				}
			})
		},
	}
	JSONFlag(list, &listJSON)
	clear := &cobra.Command{
		Use:   "clear REF [KEY]",
		Short: "Remove one saved value, or all of a bundle's",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, cfg, err := a.configTarget(args[0])
			if err != nil {
				return err
			}
			k := ""
			if len(args) == 2 {
				k = args[1]
			}
			if !cfg.Clear(key, k) {
				return fmt.Errorf("nothing saved for %s %s", key, k)
			}
			return cfg.Save()
		},
	}
	cmd.AddCommand(set, get, list, clear)
	return cmd
}

// configTarget names a bundle's saved values by its repository, so the
// same values apply whatever version or range is run.
func (a *App) configTarget(arg string) (string, *config.Config, error) {
	cfg, err := a.Config()
	if err != nil {
		return "", nil, err
	}
	if strings.HasPrefix(arg, "local/") {
		return arg, cfg, nil
	}
	c, err := a.PlainClient(false)
	if err != nil {
		return "", nil, err
	}
	r, err := c.Parse(arg)
	if err != nil {
		return "", nil, err
	}
	return r.RepositoryRef(), cfg, nil
}
