// Command mpak packs, publishes, pulls and inspects MCP bundles stored as OCI
// artifacts in any container registry.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/policy"
	"github.com/mpak-oci/mpak/oci/remote"
	"github.com/mpak-oci/mpak/oci/sign"
)

// Exit codes beyond 0 and 1, so scripts can tell refusals from failures.
const (
	exitError    = 1
	exitConflict = 2 // a published version would have been overwritten
	// exitUnverified: verify found nothing that verifies, or the trust
	// policy refused a version.
	exitUnverified = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runMain(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, true)
	stop()
	os.Exit(code)
}

// run executes the CLI in-process with servers spawned as children.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runMain(ctx, args, stdin, stdout, stderr, false)
}

func runMain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, execServer bool) int {
	remote.UserAgent = "mpak/" + buildVersion()
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, execServer: execServer}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var exit exitCodeError
	if errors.As(err, &exit) {
		return exit.code // the server spoke for itself on stderr
	}
	fmt.Fprintln(stderr, "mpak:", remote.Explain(err))
	switch {
	case errors.Is(err, bundle.ErrVersionExists):
		return exitConflict
	case errors.Is(err, sign.ErrNotVerified), errors.Is(err, policy.ErrRefused), errors.Is(err, errBelowLevel):
		return exitUnverified
	}
	return exitError
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "mpak",
		Short: "Install, run and publish MCP servers stored in OCI registries",
		Long: "mpak packs MCP bundles (.mcpb) reproducibly and stores them as OCI artifacts in any container\n" +
			"registry (GHCR, Harbor, distribution, zot, ECR), then pulls them by version, range or digest.\n\n" +
			"@scope/name references resolve through MPAK_REGISTRY=host[/namespace] (default localhost:5000);\n" +
			"fully qualified references such as ghcr.io/acme/mcp/weather:1.2.0 always work.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildVersion(),
	}
	root.SetVersionTemplate("mpak {{.Version}}\n")
	root.PersistentFlags().BoolVarP(&a.quiet, "quiet", "q", false, "print only results and errors")
	root.PersistentFlags().BoolVar(&a.remote.PlainHTTP, "plain-http", false, "use http:// for every registry (loopback registries use it anyway)")
	root.PersistentFlags().BoolVar(&a.remote.Insecure, "insecure", false, "skip TLS certificate verification")

	bundleCmd := &cobra.Command{Use: "bundle", Short: "Pack, push, pull and inspect MCP bundles"}
	bundleCmd.AddCommand(a.packCommand(), a.pushCommand(), a.pullCommand(), a.inspectCommand(), a.tagsCommand(), a.runCommand("run"),
		a.searchCommand(), a.showCommand(), a.copyCommand(), a.keygenCommand(), a.signCommand(), a.attestCommand(), a.verifyCommand(), a.scanCommand(), a.yankCommand())
	root.AddCommand(bundleCmd, a.runCommand("run"), a.cacheCommand(), a.configCommand(), a.lockCommand(),
		a.outdatedCommand(), a.updateCommand(), a.loginCommand(), a.logoutCommand(), a.versionCommand())
	return root
}
