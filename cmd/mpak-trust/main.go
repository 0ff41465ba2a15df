// Command mpak-trust is mpak with its signing, verification and scanning
// commands (bundle keygen, sign, attest, verify, scan), which need
// cosign's, sigstore's and the scanners' libraries. mpak hands those
// command lines over to it; it runs every other mpak command too.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/mpak-oci/mpak/internal/cli"
	"github.com/mpak-oci/mpak/internal/cli/trustcmd"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.Streams{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr},
		cli.Options{Version: version, ExecServer: true, Trust: trustcmd.Commands})
	stop()
	os.Exit(code)
}
