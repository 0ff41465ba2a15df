// Package trustcmd holds the mpak commands that sign, verify and scan:
// bundle keygen, sign, attest, verify and scan. They need cosign's,
// sigstore's and the scanners' libraries, which cost a start-up no other
// command should pay, so they are built into the companion binary
// mpak-trust; mpak hands these command lines over to it (cli.Companion).
package trustcmd

import (
	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/internal/cli"
)

// app adds the trust commands' helpers to what every command shares.
type app struct{ *cli.App }

// Commands returns the trust commands, for cli.Options.Trust.
func Commands(a *cli.App) []*cobra.Command {
	t := &app{a}
	return []*cobra.Command{t.keygenCommand(), t.signCommand(), t.attestCommand(), t.verifyCommand(), t.scanCommand()}
}
