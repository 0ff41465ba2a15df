// Package cli is the mpak command line: cobra commands, flags, rendering
// and exit codes over the oci/* library. cmd/mpak wires it with the
// signing, verification and scanning commands run by a companion binary
// (cmd/mpak-trust, package trustcmd), so that mpak's own start path, the
// one an MCP client takes on every launch, loads no signing stack.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/verify"
	"github.com/mpak-oci/mpak/policy"
)

// Exit codes beyond 0 and 1, so scripts can tell refusals from failures.
const (
	ExitError    = 1
	ExitConflict = 2 // a published version would have been overwritten
	// ExitUnverified: verify found nothing that verifies, or the trust
	// policy refused a version, or a scan stayed below --level.
	ExitUnverified = 3
)

// ErrBelowLevel: a scan did not reach the level --level asked for.
var ErrBelowLevel = errors.New("below the required level")

// Options wire the command line.
type Options struct {
	// Version is mpak's version; empty reads the module's build info.
	Version string
	// ExecServer replaces the mpak process with the server it runs (the
	// real binary); in-process callers such as tests spawn it as a child.
	ExecServer bool
	// Trust returns the commands that sign, verify and scan (bundle
	// keygen, sign, attest, verify, scan): package trustcmd's own, or
	// Companion's stand-ins that hand over to the binary holding them.
	Trust func(*App) []*cobra.Command
	// Environ is the environment: settings (MPAK_REGISTRY, MPAK_CONFIG,
	// MPAK_CACHE, MPAK_INDEX_URL, MPAK_ARCHIVE_LIMITS, SOURCE_DATE_EPOCH,
	// ...) and what servers inherit. Nil is this process's. The library
	// below reads none of it itself.
	Environ []string
}

// Streams are the standard streams a run of the command line uses.
type Streams struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Main runs the command line with args (without the program name) and
// returns the process's exit code.
func Main(ctx context.Context, args []string, s Streams, opts Options) int {
	if opts.Environ == nil {
		opts.Environ = os.Environ()
	}
	a := &App{Stdin: s.Stdin, Stdout: s.Stdout, Stderr: s.Stderr, opts: opts, args: args}
	a.Remote.UserAgent = "mpak/" + a.version()
	a.Remote.DockerConfig = a.Getenv("DOCKER_CONFIG") // the library would read the process's
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(s.Stdin)
	root.SetOut(s.Stdout)
	root.SetErr(s.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var exit exitCodeError
	if errors.As(err, &exit) {
		return exit.code // the server (or the companion) spoke for itself on stderr
	}
	fmt.Fprintln(s.Stderr, "mpak:", explain(err))
	switch {
	case errors.Is(err, bundle.ErrVersionExists):
		return ExitConflict
	case errors.Is(err, verify.ErrNotVerified), errors.Is(err, policy.ErrRefused), errors.Is(err, ErrBelowLevel):
		return ExitUnverified
	}
	return ExitError
}

func (a *App) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "mpak",
		Short: "Install, run and publish MCP servers stored in OCI registries",
		Long: "mpak packs MCP bundles (.mcpb) reproducibly and stores them as OCI artifacts in any container\n" +
			"registry (GHCR, Harbor, distribution, zot, ECR), then pulls them by version, range or digest.\n\n" +
			"@scope/name references resolve through MPAK_REGISTRY=host[/namespace] (default localhost:5000);\n" +
			"fully qualified references such as ghcr.io/acme/mcp/weather:1.2.0 always work.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       a.version(),
	}
	root.SetVersionTemplate("mpak {{.Version}}\n")
	root.PersistentFlags().BoolVarP(&a.Quiet, "quiet", "q", false, "print only results and errors")
	root.PersistentFlags().BoolVar(&a.Remote.PlainHTTP, "plain-http", false, "use http:// for every registry (loopback registries use it anyway)")
	root.PersistentFlags().BoolVar(&a.Remote.Insecure, "insecure", false, "skip TLS certificate verification")

	bundleCmd := &cobra.Command{Use: "bundle", Short: "Pack, push, pull and inspect MCP bundles"}
	bundleCmd.AddCommand(a.packCommand(), a.pushCommand(), a.pullCommand(), a.inspectCommand(), a.tagsCommand(), a.runCommand("run"),
		a.searchCommand(), a.showCommand(), a.copyCommand(), a.yankCommand())
	if a.opts.Trust != nil {
		bundleCmd.AddCommand(a.opts.Trust(a)...)
	}
	root.AddCommand(bundleCmd, a.runCommand("run"), a.cacheCommand(), a.configCommand(), a.lockCommand(),
		a.outdatedCommand(), a.updateCommand(), a.loginCommand(), a.logoutCommand(), a.versionCommand())
	root.AddCommand(a.installCommand(), a.uninstallCommand(), a.installedCommand(), a.mcpCommand()) // clients.go, mcpserver.go
	return root
}
