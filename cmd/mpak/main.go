// Command mpak packs, publishes, pulls and runs MCP bundles stored as OCI
// artifacts in any container registry. Signing, verification and
// scanning run in the companion binary mpak-trust (cmd/mpak-trust), so
// this one starts without loading their libraries.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/mpak-oci/mpak/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.Streams{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr},
		cli.Options{Version: version, ExecServer: true, Trust: cli.Companion()})
	stop()
	os.Exit(code)
}
