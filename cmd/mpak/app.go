package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/config"
	"github.com/mpak-oci/mpak/oci/progress"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/oci/remote"
)

// app holds what every command shares: streams and global flags.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	quiet          bool
	remote         remote.Options
	// execServer replaces the mpak process with the server (the real
	// binary); in-process tests spawn it as a child instead.
	execServer bool
}

// parseRef reads a reference with the configured default registry.
func (a *app) parseRef(s string) (ref.Reference, error) {
	cfg, err := config.Load()
	if err != nil {
		return ref.Reference{}, err
	}
	d, err := cfg.Defaults()
	if err != nil {
		return ref.Reference{}, err
	}
	return ref.Parse(s, d)
}

// infof prints a human message to stderr unless --quiet; stdout is kept for
// results so they can be piped.
func (a *app) infof(format string, args ...any) {
	if !a.quiet {
		fmt.Fprintf(a.stderr, format+"\n", args...)
	}
}

// warn prints a warning, such as that a pinned version is yanked, to
// stderr unless --quiet; nothing when w is empty.
func (a *app) warn(w string) {
	if w != "" {
		a.infof("warning: %s", w)
	}
}

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// bars returns terminal progress bars, or nil when they must not be drawn.
// The returned close function is always safe to call.
func (a *app) bars(jsonOut bool) (bundle.Progress, func()) {
	b := progress.ForTerminal(!a.quiet && !jsonOut)
	if b == nil {
		return nil, func() {}
	}
	return b, b.Close
}

// environ is the environment the server inherits.
func environ() []string { return os.Environ() }
