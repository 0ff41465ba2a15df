package cli

import (
	"fmt"

	"github.com/mpak-oci/mpak/mcpb"
)

func (a *App) printf(format string, args ...any) { fmt.Fprintf(a.Stdout, format, args...) }

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
