package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/internal/config"
	"github.com/mpak-oci/mpak/mcpb"
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
			for _, k := range order {
				v := values[k][0]
				if len(values[k]) > 1 {
					b, _ := json.Marshal(values[k])
					v = string(b)
				}
				cfg.SetValue(key, k, v)
			}
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
			values := cfg.Values(key)
			sensitive := a.sensitiveKeys(key)
			out := map[string]string{}
			for k, v := range values {
				if len(args) == 2 && k != args[1] {
					continue
				}
				out[k] = mask(k, v, sensitive)
			}
			if len(args) == 2 && len(out) == 0 {
				return fmt.Errorf("no value saved for %s %s", key, args[1])
			}
			if jsonOut {
				return a.PrintJSON(out)
			}
			for _, k := range sortedKeys(out) {
				a.printf("%s=%s\n", k, out[k])
			}
			return nil
		},
	}
	get.Flags().BoolVar(&jsonOut, "json", false, "print the result as JSON")
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
			out := map[string][]string{}
			for b, kv := range cfg.Bundles {
				out[b] = sortedKeys(kv)
			}
			if listJSON {
				return a.PrintJSON(out)
			}
			for _, b := range sortedKeys(out) {
				a.printf("%s: %s\n", b, strings.Join(out[b], ", "))
			}
			return nil
		},
	}
	list.Flags().BoolVar(&listJSON, "json", false, "print the result as JSON")
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
	r, err := a.ParseRef(arg)
	if err != nil {
		return "", nil, err
	}
	return r.RepositoryRef(), cfg, nil
}

var secretName = regexp.MustCompile(`(?i)(token|secret|password|passwd|api[_-]?key|credential|private)`)

// sensitiveKeys reads the sensitive flags of a cached build of the bundle.
func (a *App) sensitiveKeys(repository string) map[string]bool {
	out := map[string]bool{}
	_, entries, err := a.cacheEntries()
	if err != nil {
		return out
	}
	for _, e := range entries {
		if e.Meta.Repository != repository && "local/"+e.Meta.Name != repository {
			continue
		}
		b, err := os.ReadFile(filepath.Join(e.Dir, mcpb.ManifestFile))
		if err != nil {
			continue
		}
		m, _, err := mcpb.ParseManifest(b, mcpb.ParseOptions{})
		if err != nil {
			continue
		}
		for k, o := range m.UserConfig {
			out[k] = out[k] || o.Sensitive
		}
	}
	return out
}

// mask hides a sensitive value but its first characters, so a user can tell
// which token is saved without the file's secrets reaching a screen share.
func mask(key, value string, sensitive map[string]bool) string {
	if !sensitive[key] && !secretName.MatchString(key) {
		return value
	}
	if len(value) <= 8 {
		return strings.Repeat("*", 8)
	}
	return value[:4] + strings.Repeat("*", 8)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
