package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak"
	"github.com/mpak-oci/mpak/install"
	"github.com/mpak-oci/mpak/launch"
)

type runFlags struct {
	local    string
	configs  []string
	offline  bool
	update   bool
	lockFile string
	platform string
	policy   PolicyFlags
}

func (a *App) runCommand(use string) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   use + " REF [-- SERVER-ARGS...]",
		Short: "Run a bundle as a stdio MCP server (pulled, verified and cached on first use)",
		Long: "Resolves REF, pulls the build for this machine into the content-addressed cache (verified, extracted\n" +
			"atomically) and replaces itself with the server: stdin/stdout are the MCP transport, untouched;\n" +
			"signals and the exit code are the server's own. A digest, a locked reference or an exact version\n" +
			"already cached starts without contacting the registry.\n\n" +
			"user_config values come from --config KEY=VALUE, then `mpak config set`, then the environment\n" +
			"(a variable the manifest maps to the key, or MPAK_USER_CONFIG_<KEY>), then manifest defaults.",
		Example: "  mpak run @acme/weather\n" +
			"  mpak run @acme/weather@^1.2 --config api_key=$KEY\n" +
			"  mpak run --local ./weather-1.2.0.mcpb\n" +
			"  mpak run --lock mpak.lock @acme/weather   # pins the resolved digest in mpak.lock",
		Args: func(cmd *cobra.Command, args []string) error {
			if f.local != "" {
				return nil
			}
			if cmd.ArgsLenAtDash() == 0 || len(args) == 0 {
				return errors.New("name a bundle (REF) or pass --local FILE.mcpb")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return a.runBundle(cmd, f, args) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.local, "local", "", "run a local .mcpb file instead of a registry reference")
	fl.StringArrayVarP(&f.configs, "config", "c", nil, "user_config value KEY=VALUE (repeat a key for multiple values)")
	fl.BoolVar(&f.offline, "offline", false, "never contact a registry; use only the cache")
	fl.BoolVar(&f.update, "update", false, "re-resolve the version even if an exact one is cached")
	fl.StringVar(&f.lockFile, "lock", "", "lock file: use the digest pinned there, or pin the resolved one")
	fl.StringVar(&f.platform, "platform", "", "build to select, os/arch (default: this machine)")
	f.policy.Add(fl)
	return cmd
}

func (a *App) runBundle(cmd *cobra.Command, f *runFlags, args []string) error {
	ctx := cmd.Context()
	serverArgs := args
	if dash := cmd.ArgsLenAtDash(); dash >= 0 {
		serverArgs = args[dash:]
		args = args[:dash]
	} else if len(args) > 0 {
		serverArgs = args[1:]
		args = args[:1]
	}
	c, err := a.Client(f.policy)
	if err != nil {
		return err
	}
	opts := mpak.InstallOptions{Offline: f.offline, Update: f.update, LockFile: f.lockFile}
	if opts.Platform, err = PlatformArg(f.platform); err != nil {
		return err
	}
	var (
		res       *install.Result
		bundleKey string
		display   string
	)
	if f.local != "" {
		if len(args) > 0 {
			return fmt.Errorf("give either REF or --local, not both")
		}
		if res, err = c.InstallFile(f.local, opts); err != nil {
			return err
		}
		display, bundleKey = f.local, "local/"+res.Manifest.Name
	} else {
		r, err := c.Parse(args[0])
		if err != nil {
			return err
		}
		prog, done := a.bars(false)
		opts.Progress = prog
		res, err = c.Install(ctx, args[0], opts)
		done()
		if err != nil {
			return err
		}
		a.Warn(res.Warning)
		display, bundleKey = r.RepositoryRef()+":"+res.Tag, r.RepositoryRef()
		if res.Tag == "" {
			display = r.RepositoryRef()
		}
	}
	where := "registry"
	if res.Cached {
		where = "cache"
	}
	a.Infof("mpak: running %s %s@%s (%s, from %s)", res.Manifest.Name, display, res.Digest, res.Platform, where)

	flags, _, err := KeyValues("--config", f.configs)
	if err != nil {
		return err
	}
	cfg, err := a.Config()
	if err != nil {
		return err
	}
	cmdLine, err := c.Command(res, mpak.CommandOptions{Flags: flags, Stored: cfg.Values(bundleKey),
		SetCommand: "mpak config set " + bundleKey, Args: serverArgs})
	if err != nil {
		return err
	}
	return a.exec(ctx, cmdLine)
}

// exitCodeError carries a child's exit code out through cobra.
type exitCodeError struct{ code int }

func (e exitCodeError) Error() string { return fmt.Sprintf("server exited with code %d", e.code) }

// exec hands the process over to lc (a server, or the companion): it
// replaces mpak when Options.ExecServer says so, else it runs as a child
// on mpak's streams. Either way its exit code becomes mpak's.
func (a *App) exec(ctx context.Context, lc *launch.Command) error {
	if a.opts.ExecServer {
		return launch.Exec(lc)
	}
	code, err := launch.Run(ctx, lc, a.Stdin, a.Stdout, a.Stderr)
	if err != nil {
		return err
	}
	if code != 0 {
		return exitCodeError{code}
	}
	return nil
}
