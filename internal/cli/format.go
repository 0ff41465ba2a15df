package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mediatypes"
)

func (a *App) printf(format string, args ...any) { fmt.Fprintf(a.Stdout, format, args...) }

// jsonFlag adds --json to cmd.
func JSONFlag(cmd *cobra.Command, jsonOut *bool) {
	cmd.Flags().BoolVar(jsonOut, "json", false, "print the result as JSON")
}

// Emit prints v as JSON under --json, else calls human.
func (a *App) Emit(jsonOut bool, v any, human func()) error {
	if jsonOut {
		return a.PrintJSON(v)
	}
	human()
	return nil
}

// PlatformArg reads a --platform, os/arch; empty is the zero platform,
// which the library reads as its default.
func PlatformArg(s string) (mediatypes.Platform, error) {
	if s == "" {
		return mediatypes.Platform{}, nil
	}
	return mediatypes.ParsePlatform(s)
}

// title is a bundle's display name with its name, or the name alone.
func title(name, displayName string) string {
	if displayName == "" {
		return name
	}
	return displayName + " (" + name + ")"
}

func problems(ps []mcpb.Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB (%d bytes)", float64(n)/float64(div), "KMGTPE"[exp], n)
}
