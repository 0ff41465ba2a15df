package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/mpak-oci/mpak"
	"github.com/mpak-oci/mpak/internal/config"
	"github.com/mpak-oci/mpak/launch"
	"github.com/mpak-oci/mpak/mcpclients"
)

// The commands that wire bundles into MCP clients' configuration files:
// install, uninstall and installed. The editing is package mcpclients';
// resolving, the policy and user_config are the facade's.

type clientFlags struct {
	client string
	scope  string
	file   string
}

func (f *clientFlags) add(cmd *cobra.Command, required bool) {
	fl := cmd.Flags()
	fl.StringVar(&f.client, "client", "", "MCP client: "+strings.Join(mcpclients.Names(), ", "))
	fl.StringVar(&f.scope, "scope", "user", "user (the client's own file) or project (a file in this directory, for clients that have one)")
	fl.StringVar(&f.file, "config", "", "the client's configuration file (default: where the client keeps it)")
	if required {
		_ = cmd.MarkFlagRequired("client")
	}
}

// dirs are the directories client files live under, from this
// environment.
func (a *App) clientDirs() mcpclients.Dirs {
	home := a.Getenv("HOME")
	if runtime.GOOS == "windows" && a.Getenv("USERPROFILE") != "" {
		home = a.Getenv("USERPROFILE")
	}
	wd, _ := os.Getwd()
	return mcpclients.Dirs{GOOS: runtime.GOOS, Home: home, AppData: a.Getenv("APPDATA"),
		XDGConfigHome: a.Getenv("XDG_CONFIG_HOME"), CodexHome: a.Getenv("CODEX_HOME"), Project: wd}
}

// target is the client and the file the flags name.
func (a *App) target(f clientFlags) (*mcpclients.Client, string, error) {
	c, err := mcpclients.Lookup(f.client)
	if err != nil {
		return nil, "", err
	}
	if f.file != "" {
		return c, f.file, nil
	}
	p, err := c.Path(mcpclients.Scope(f.scope), a.clientDirs())
	return c, p, err
}

// clientRecord is the record of what mpak wired where, beside the
// configuration file.
func (a *App) clientRecord() (*mcpclients.Record, error) {
	p, err := config.Path(a.Getenv)
	if err != nil {
		return nil, err
	}
	return mcpclients.LoadRecord(filepath.Join(filepath.Dir(p), "clients.json"))
}

// InstallResult is `mpak install --json` (and uninstall's).
type InstallResult = mpak.ClientInstall

func (a *App) installCommand() *cobra.Command {
	var (
		cf      clientFlags
		name    string
		sets    []string
		pin     bool
		force   bool
		jsonOut bool
		pf      PolicyFlags
	)
	cmd := &cobra.Command{
		Use:   "install REF --client NAME",
		Short: "Add a bundle to an MCP client's configuration (Claude Desktop, Cursor, VS Code, ...)",
		Long: "Writes an entry that runs `mpak run <fully qualified REF>` into the client's configuration file,\n" +
			"keeping everything else in it (other servers, settings, comments, formatting). The file is backed up\n" +
			"(FILE.mpak.bak) and replaced atomically; installing the same thing again changes nothing.\n\n" +
			"The bundle must pass your trust policy. Required user_config values are asked for on a terminal or\n" +
			"given with --set KEY=VALUE; values the bundle marks sensitive are saved in mpak's own configuration\n" +
			"(readable only by you), never in the client's file. An entry of the same name that mpak did not\n" +
			"write is left alone unless --force.",
		Example: "  mpak install @acme/weather --client claude-desktop\n" +
			"  mpak install @acme/weather@^1.2 --client vscode --scope project --set units=metric\n" +
			"  mpak install @acme/weather --client codex --pin",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			given, _, err := KeyValues("--set", sets)
			if err != nil {
				return err
			}
			res, err := a.installInto(cmd.Context(), installRequest{ref: args[0], target: cf, name: name, given: given,
				pin: pin, force: force, policy: pf, ask: true})
			if err != nil {
				return err
			}
			if jsonOut {
				return a.PrintJSON(res)
			}
			title := res.Client
			if c, err := mcpclients.Lookup(res.Client); err == nil {
				title = c.Title
			}
			if len(res.Saved) > 0 {
				a.Infof("saved %s in mpak's configuration (sensitive: not written to %s)", strings.Join(res.Saved, ", "), title)
			}
			switch mcpclients.Change(res.Change) {
			case mcpclients.Unchanged:
				a.Infof("%s already runs %s as %q in %s: nothing to change", title, res.Ref, res.Name, res.File)
			default:
				a.Infof("%s %q (%s %s) in %s; restart %s to load it", res.Change, res.Name, res.Ref, res.Version, res.File, title)
			}
			return nil
		},
	}
	cf.add(cmd, true)
	fl := cmd.Flags()
	fl.StringVar(&name, "name", "", "name of the entry in the client (default: the bundle's name)")
	fl.StringArrayVar(&sets, "set", nil, "user_config value KEY=VALUE (repeat a key for multiple values)")
	fl.BoolVar(&pin, "pin", false, "write the resolved digest, so the client always runs these exact bytes")
	fl.BoolVar(&force, "force", false, "replace an entry of the same name that mpak did not write")
	fl.BoolVar(&jsonOut, "json", false, "print the result as JSON")
	pf.Add(fl)
	return cmd
}

// installRequest is one install, from the command line or an agent.
type installRequest struct {
	ref    string
	target clientFlags
	name   string
	given  map[string][]string
	pin    bool
	force  bool
	policy PolicyFlags
	// ask prompts on a terminal for missing required values.
	ask bool
	// agent: the request comes from an MCP tool, whose arguments (not
	// flags) give the values.
	agent bool
}

// installInto is `mpak install` and the install_bundle tool of `mpak
// mcp`: the facade's InstallInto, with the file, the record, the
// secrets and the environment this command line keeps.
func (a *App) installInto(ctx context.Context, req installRequest) (*InstallResult, error) {
	client, file, err := a.target(req.target)
	if err != nil {
		return nil, err
	}
	c, err := a.Client(req.policy)
	if err != nil {
		return nil, err
	}
	cfg, err := a.Config()
	if err != nil {
		return nil, err
	}
	rec, err := a.clientRecord()
	if err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding mpak's own path for the entry: %w", err)
	}
	// The client starts mpak with its own environment: where this mpak
	// keeps its settings, cache and credentials goes along when set.
	env := map[string]string{}
	for _, k := range []string{config.EnvPath, "MPAK_CACHE", "DOCKER_CONFIG"} {
		if v := a.Getenv(k); v != "" {
			env[k] = v
		}
	}
	return c.InstallInto(ctx, mpak.ClientInstallOptions{
		Ref: req.ref, Client: client, Scope: mcpclients.Scope(req.target.scope), File: file, Record: rec,
		Executable: exe, Env: env, Given: req.given, Name: req.name, Pin: req.pin, Force: req.force,
		Secrets: cfg, SystemDirs: launch.DefaultSystemDirs(a.Environ()),
		Ask: func(m *launch.MissingError) (map[string][]string, error) {
			return a.askUserConfig(m, req.ask, req.agent)
		},
		Warn: func(w string) { a.Warn(w) },
	})
}

// askUserConfig asks on the terminal for the required keys missing and
// returns the answers; without a terminal (or when it may not ask) it
// says how to pass them.
func (a *App) askUserConfig(missing *launch.MissingError, ask, agent bool) (map[string][]string, error) {
	in, ok := a.Stdin.(*os.File)
	if !ask || !ok || !term.IsTerminal(int(in.Fd())) {
		var lines []string
		for _, k := range missing.Keys {
			how := fmt.Sprintf("pass --set %s=VALUE", k.Key)
			if agent {
				how = fmt.Sprintf(`pass "config": {%q: ...}`, k.Key)
			}
			what := k.Key
			if k.Description != "" {
				what += " (" + k.Description + ")"
			}
			lines = append(lines, fmt.Sprintf("missing required config %s: %s", what, how))
		}
		return nil, errors.New(strings.Join(lines, "\n"))
	}
	r := bufio.NewReader(in)
	given := map[string][]string{}
	for _, k := range missing.Keys {
		label := k.Key
		if k.Title != "" && k.Title != k.Key {
			label += " (" + k.Title + ")"
		}
		if k.Description != "" {
			fmt.Fprintf(a.Stderr, "%s: %s\n", label, k.Description)
		}
		fmt.Fprintf(a.Stderr, "%s: ", label)
		var v string
		if k.Sensitive {
			b, err := term.ReadPassword(int(in.Fd()))
			fmt.Fprintln(a.Stderr)
			if err != nil {
				return nil, err
			}
			v = string(b)
		} else {
			line, err := r.ReadString('\n')
			if err != nil && line == "" {
				return nil, fmt.Errorf("reading %s: %w", k.Key, err)
			}
			v = strings.TrimRight(line, "\r\n")
		}
		if v == "" {
			return nil, fmt.Errorf("missing required config %q", k.Key)
		}
		given[k.Key] = []string{v}
	}
	return given, nil
}

func (a *App) uninstallCommand() *cobra.Command {
	var (
		cf      clientFlags
		name    string
		force   bool
		jsonOut bool
	)
	cmd := &cobra.Command{
		Use:   "uninstall REF --client NAME",
		Short: "Remove a bundle mpak installed from an MCP client's configuration",
		Long: "Removes exactly the entry `mpak install` wrote for REF (any version) from the client's file, keeping\n" +
			"everything else, with a backup (FILE.mpak.bak). An entry mpak did not write is left alone unless --force.",
		Example: "  mpak uninstall @acme/weather --client claude-desktop",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := a.uninstallFrom(cmd.Context(), args[0], cf, name, force)
			if err != nil {
				return err
			}
			if jsonOut {
				return a.PrintJSON(res)
			}
			if mcpclients.Change(res.Change) == mcpclients.Unchanged {
				a.Infof("%q was already gone from %s; forgot it", res.Name, res.File)
			} else {
				a.Infof("removed %q from %s; restart the client to unload it", res.Name, res.File)
			}
			return nil
		},
	}
	cf.add(cmd, true)
	cmd.Flags().StringVar(&name, "name", "", "name of the entry (default: the one mpak installed REF as)")
	cmd.Flags().BoolVar(&force, "force", false, "remove the entry even if mpak did not write it")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the result as JSON")
	return cmd
}

// uninstallFrom is `mpak uninstall` and the uninstall_bundle tool: the
// facade's UninstallFrom on the file and record this command line keeps.
func (a *App) uninstallFrom(ctx context.Context, s string, target clientFlags, name string, force bool) (*InstallResult, error) {
	client, file, err := a.target(target)
	if err != nil {
		return nil, err
	}
	rec, err := a.clientRecord()
	if err != nil {
		return nil, err
	}
	c, err := a.PlainClient(false)
	if err != nil {
		return nil, err
	}
	return c.UninstallFrom(ctx, mpak.ClientUninstallOptions{Ref: s, Client: client, File: file, Record: rec, Name: name, Force: force})
}

// Installed is one line of `mpak installed --json`.
type Installed = mpak.Installed

func (a *App) installedCommand() *cobra.Command {
	var (
		client  string
		offline bool
		jsonOut bool
	)
	cmd := &cobra.Command{
		Use:   "installed",
		Short: "List the bundles mpak installed into MCP clients, and whether updates are available",
		Long: "CURRENT is the version each entry's reference resolves to now, LATEST the highest release of the\n" +
			"bundle; an entry pinned to a version or digest has an update when they differ.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := a.listInstalled(cmd.Context(), client, offline)
			if err != nil {
				return err
			}
			if jsonOut {
				return a.PrintJSON(out)
			}
			if len(out) == 0 {
				a.Infof("mpak has installed nothing into a client yet (mpak install REF --client NAME)")
				return nil
			}
			a.printf("%-15s %-20s %-12s %-12s %-8s %-10s %s\n", "CLIENT", "NAME", "CURRENT", "LATEST", "UPDATE", "ENTRY", "REF")
			for _, in := range out {
				cur, latest, upd := in.Current, in.Latest, ""
				if in.UpdateAvailable {
					upd = "yes"
				}
				if in.Error != "" {
					cur, latest = "?", "?"
				}
				if offline {
					cur, latest = in.Version, "-"
				}
				a.printf("%-15s %-20s %-12s %-12s %-8s %-10s %s\n", in.Client, in.Name, cur, latest, upd, in.State, in.Ref)
				if in.Error != "" {
					a.Infof("  %s: %s", in.Name, in.Error)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&client, "client", "", "only this client")
	cmd.Flags().BoolVar(&offline, "offline", false, "do not ask the registries what the references resolve to now")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the result as JSON")
	return cmd
}

// listInstalled is `mpak installed` and the list_installed tool: the
// facade's Installed over the record this command line keeps.
func (a *App) listInstalled(ctx context.Context, client string, offline bool) ([]Installed, error) {
	rec, err := a.clientRecord()
	if err != nil {
		return nil, err
	}
	c, err := a.PlainClient(false)
	if err != nil {
		return nil, err
	}
	return c.Installed(ctx, mpak.InstalledOptions{Record: rec, Client: client, Offline: offline})
}
