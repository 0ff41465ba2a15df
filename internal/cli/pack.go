package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mediatypes"
)

type PackOutput struct {
	Path     string   `json:"path"`
	Name     string   `json:"name"`
	Version  string   `json:"version"`
	Platform string   `json:"platform"`
	Files    int      `json:"files"`
	Size     int64    `json:"size"`
	SHA256   string   `json:"sha256"`
	Warnings []string `json:"warnings,omitempty"`
}

func (a *App) packCommand() *cobra.Command {
	var out, platform string
	var jsonOut, strict bool
	cmd := &cobra.Command{
		Use:   "pack DIR",
		Short: "Pack a directory with a manifest.json into a reproducible .mcpb",
		Long: "Validates manifest.json strictly, then zips DIR reproducibly: sorted entries, fixed timestamps\n" +
			"(SOURCE_DATE_EPOCH or 1980-01-01), normalised permissions with the exec bit kept. Files matched by\n" +
			".mcpbignore or the mcpb CLI's default exclude list are left out. Warnings (such as a link that is\n" +
			"not http(s)) are printed; --strict refuses to pack while there are any.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var opts mcpb.PackOptions
			p := mediatypes.AnyPlatform
			if platform != "" {
				var err error
				if p, err = mediatypes.ParsePlatform(platform); err != nil {
					return err
				}
				opts.Platform = &p
			}
			target := out
			if target == "" || strict {
				// The name comes from the manifest, which PackFile reads;
				// peek at it first so the default name is right, and so
				// --strict refuses before anything is written.
				m, err := mcpb.ReadManifestDir(args[0])
				if err != nil {
					return err
				}
				if target == "" {
					target = mcpb.DefaultFileName(m, p)
				}
				if strict {
					if err := refuseWarnings(m.Raw); err != nil {
						return err
					}
				}
			}
			modTime, err := a.sourceDate()
			if err != nil {
				return err
			}
			opts.ModTime = modTime
			res, err := mcpb.PackFile(args[0], target, opts)
			if err != nil {
				return err
			}
			if strict && len(res.Warnings) > 0 {
				// Warnings about the files (an icon missing from the
				// bundle) are known only once packed.
				if err := os.Remove(target); err != nil {
					return fmt.Errorf("--strict: removing %s: %w", target, err)
				}
				return fmt.Errorf("--strict: %d warnings, removed %s:\n  %s",
					len(res.Warnings), target, strings.Join(problems(res.Warnings), "\n  "))
			}
			o := PackOutput{Path: target, Name: res.Manifest.Name, Version: res.Manifest.Version, Platform: p.String(),
				Files: res.Files, Size: res.Size, SHA256: res.SHA256, Warnings: problems(res.Warnings)}
			if jsonOut {
				return a.PrintJSON(o)
			}
			for _, w := range o.Warnings {
				a.Infof("warning: %s", w)
			}
			a.printf("%s\n  name:     %s\n  version:  %s\n  platform: %s\n  files:    %d\n  size:     %s\n  sha256:   %s\n",
				o.Path, o.Name, o.Version, o.Platform, o.Files, humanSize(o.Size), o.SHA256)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "output file (default <name>-<version>[-<os>-<arch>].mcpb)")
	cmd.Flags().StringVar(&platform, "platform", "", "platform the bundle is built for, os/arch (checked against compatibility.platforms)")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the result as JSON")
	cmd.Flags().BoolVar(&strict, "strict", false, "refuse to pack on any warning (for CI and publishing)")
	return cmd
}

// refuseWarnings fails when manifest.json, validated as pack validates it,
// draws warnings: under --strict a warning such as a javascript: link must
// stop the bundle before it is written, not after it is published.
func refuseWarnings(raw []byte) error {
	_, warnings, err := mcpb.ParseManifest(raw, mcpb.ParseOptions{Strict: true, RequireSemver: true})
	if err != nil || len(warnings) == 0 {
		return nil // PackFile reports the errors, all of them
	}
	return fmt.Errorf("--strict: manifest.json has %d warnings, not packing:\n  %s",
		len(warnings), strings.Join(problems(warnings), "\n  "))
}
