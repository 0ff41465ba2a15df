package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/launch"
)

// TrustBinary is the companion binary that holds the commands which
// sign, verify and scan. They are kept out of mpak itself because
// cosign's, sigstore's and the scanners' libraries would otherwise be
// loaded and initialised on every start, including mpak run's.
const TrustBinary = "mpak-trust"

// trustCommands are the commands the companion runs, as mpak's help
// lists them.
var trustCommands = []struct{ use, short string }{
	{"keygen", "Make a cosign key pair (cosign.key, cosign.pub) in the current directory"},
	{"sign REF --key cosign.key", "Sign a version's index digest (and with --platforms each platform manifest) the way cosign does"},
	{"attest REF --key cosign.key (--slsa | --predicate FILE --type URI)", "Sign an in-toto statement about a version (SLSA provenance v1 with --slsa) and attach it"},
	{"verify REF --key cosign.pub", "Verify the signatures and attestations of a version (cosign's and mpak's)"},
	{"scan REF|FILE.mcpb", "Check a bundle against the trust levels L1-L4, offline, with evidence for every control"},
}

// Companion returns stand-ins for the trust commands that hand the whole
// command line over to the companion binary: found next to the running
// executable first (where make build and the release archives put it),
// then on PATH. Its output, exit code and signals are the companion's.
func Companion() func(*App) []*cobra.Command {
	return func(a *App) []*cobra.Command {
		out := make([]*cobra.Command, 0, len(trustCommands))
		for _, c := range trustCommands {
			out = append(out, &cobra.Command{
				Use:                c.use,
				Short:              c.short,
				DisableFlagParsing: true, // the companion parses them, --help included
				RunE: func(cmd *cobra.Command, _ []string) error {
					path, err := findCompanion()
					if err != nil {
						return fmt.Errorf("%s %w", cmd.CommandPath(), err)
					}
					return a.exec(cmd.Context(), &launch.Command{Path: path, Args: a.args, Env: a.Environ()})
				},
			})
		}
		return out
	}
}

// errNoCompanion explains how to get the companion.
var errNoCompanion = errors.New("needs " + TrustBinary + ", mpak's signing, verification and scanning tools, next to mpak or on PATH: " +
	"install it with go install github.com/mpak-oci/mpak/cmd/" + TrustBinary + "@latest (make build builds both)")

func findCompanion() (string, error) {
	if self, err := os.Executable(); err == nil {
		if resolved, err := filepath.EvalSymlinks(self); err == nil {
			self = resolved
		}
		p := filepath.Join(filepath.Dir(self), TrustBinary+filepath.Ext(self))
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath(TrustBinary); err == nil {
		return p, nil
	}
	return "", errNoCompanion
}
