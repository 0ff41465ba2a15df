package cli

import (
	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak"
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
	var platform string
	var opts mpak.PackOptions
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "pack DIR",
		Short: "Pack a directory with a manifest.json into a reproducible .mcpb",
		Long: "Validates manifest.json strictly, then zips DIR reproducibly: sorted entries, fixed timestamps\n" +
			"(SOURCE_DATE_EPOCH or 1980-01-01), normalised permissions with the exec bit kept. Files matched by\n" +
			".mcpbignore or the mcpb CLI's default exclude list are left out. Warnings (such as a link that is\n" +
			"not http(s)) are printed; --strict refuses to pack while there are any.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Platform, err = PlatformArg(platform); err != nil {
				return err
			}
			if opts.ModTime, err = a.sourceDate(); err != nil {
				return err
			}
			res, err := mpak.Pack(args[0], opts)
			if err != nil {
				return err
			}
			o := PackOutput{Path: res.Path, Name: res.Manifest.Name, Version: res.Manifest.Version, Platform: res.Platform.String(),
				Files: res.Files, Size: res.Size, SHA256: res.SHA256, Warnings: problems(res.Warnings)}
			return a.Emit(jsonOut, o, func() {
				a.Warn(o.Warnings...)
				a.printf("%s\n  name:     %s\n  version:  %s\n  platform: %s\n  files:    %d\n  size:     %s\n  sha256:   %s\n",
					o.Path, o.Name, o.Version, o.Platform, o.Files, humanSize(o.Size), o.SHA256)
			})
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "output file (default <name>-<version>[-<os>-<arch>].mcpb)")
	cmd.Flags().StringVar(&platform, "platform", "", "platform the bundle is built for, os/arch (checked against compatibility.platforms)")
	cmd.Flags().BoolVar(&opts.Strict, "strict", false, "refuse to pack on any warning (for CI and publishing)")
	JSONFlag(cmd, &jsonOut)
	return cmd
}
