package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/mpak-oci/mpak/internal/config"
	"github.com/mpak-oci/mpak/internal/progress"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/connect"
)

// App holds what every command shares: streams, global flags and the
// options Main was given. Commands in other packages (trustcmd) build on
// it.
type App struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Quiet          bool
	Remote         connect.Options

	opts Options
	// args are the command line Main was given, for the companion binary.
	args []string
	cfg  *config.Config // read once, by Config
}

// Infof prints a human message to stderr unless --quiet; stdout is kept for
// results so they can be piped.
func (a *App) Infof(format string, args ...any) {
	if !a.Quiet {
		fmt.Fprintf(a.Stderr, format+"\n", args...)
	}
}

// Warn prints warnings, such as that a pinned version is yanked, to
// stderr unless --quiet; empty ones are skipped.
func (a *App) Warn(warnings ...string) {
	for _, w := range warnings {
		if w != "" {
			a.Infof("warning: %s", w)
		}
	}
}

// PrintJSON writes v to stdout, indented.
func (a *App) PrintJSON(v any) error {
	enc := json.NewEncoder(a.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// bars returns terminal progress bars, or nil when they must not be drawn.
// The returned close function is always safe to call.
func (a *App) bars(jsonOut bool) (bundle.Progress, func()) {
	b := progress.ForTerminal(!a.Quiet && !jsonOut)
	if b == nil {
		return nil, func() {}
	}
	return b, b.Close
}
