package mpak

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mediatypes"
)

// PackOptions tune Pack.
type PackOptions struct {
	// Output is the file to write (default: mcpb.DefaultFileName in the
	// working directory).
	Output string
	// Platform is the build's target (zero: platform-independent). When
	// manifest.json lists compatibility.platforms, its OS must be there.
	Platform mediatypes.Platform
	// ModTime is stamped on every entry (zero: 1980-01-01, never "now").
	ModTime time.Time
	// Strict refuses a bundle that draws warnings: before anything is
	// written when manifest.json draws them, else by removing the file
	// (warnings about files, such as a missing icon, show once packed).
	Strict bool
}

// Packed is what Pack wrote.
type Packed struct {
	*mcpb.PackResult
	Path     string
	Platform mediatypes.Platform
}

// WarningsError is a strict Pack's refusal.
type WarningsError struct {
	Warnings []mcpb.Problem
	// Removed is the file written and removed again; empty when
	// manifest.json's warnings stopped the pack before it wrote anything.
	Removed string
}

func (e *WarningsError) Error() string {
	var lines []string
	for _, p := range e.Warnings {
		lines = append(lines, p.String())
	}
	if e.Removed == "" {
		return fmt.Sprintf("manifest.json has %d warnings, not packing:\n  %s", len(lines), strings.Join(lines, "\n  "))
	}
	return fmt.Sprintf("%d warnings, removed %s:\n  %s", len(lines), e.Removed, strings.Join(lines, "\n  "))
}

// Pack validates dir's manifest.json strictly and zips dir reproducibly
// into a .mcpb file (mcpb.PackFile). It needs no Client: nothing is read
// but dir, nothing is written but the file.
func Pack(dir string, opts PackOptions) (*Packed, error) {
	out := &Packed{Path: opts.Output, Platform: mediatypes.AnyPlatform}
	var popts mcpb.PackOptions
	if opts.Platform != (mediatypes.Platform{}) {
		out.Platform = opts.Platform
		popts.Platform = &opts.Platform
	}
	if out.Path == "" || opts.Strict {
		// The default name comes from the manifest, which PackFile reads;
		// peek at it first, and under Strict refuse before writing.
		m, err := mcpb.ReadManifestDir(dir)
		if err != nil {
			return nil, err
		}
		if out.Path == "" {
			out.Path = mcpb.DefaultFileName(m, out.Platform)
		}
		if opts.Strict {
			// Errors are PackFile's to report, all of them.
			if _, warnings, err := mcpb.ParseManifest(m.Raw, mcpb.ParseOptions{Strict: true, RequireSemver: true}); err == nil && len(warnings) > 0 {
				return nil, &WarningsError{Warnings: warnings}
			}
		}
	}
	popts.ModTime = opts.ModTime
	res, err := mcpb.PackFile(dir, out.Path, popts)
	if err != nil {
		return nil, err
	}
	if opts.Strict && len(res.Warnings) > 0 {
		if err := os.Remove(out.Path); err != nil {
			return nil, fmt.Errorf("strict pack: removing %s: %w", out.Path, err)
		}
		return nil, &WarningsError{Warnings: res.Warnings, Removed: out.Path}
	}
	out.PackResult = res
	return out, nil
}
