package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
)

type PushOutput struct {
	Reference string        `json:"reference"`
	Tag       string        `json:"tag"`
	Digest    string        `json:"digest"`
	Unchanged bool          `json:"unchanged"`
	Builds    []buildOutput `json:"builds"`
	Warnings  []string      `json:"warnings,omitempty"`
}

type buildOutput struct {
	Platform string `json:"platform"`
	Manifest string `json:"manifest"`
	Bundle   string `json:"bundle"`
	Size     int64  `json:"size"`
	File     string `json:"file,omitempty"`
}

func (a *App) pushCommand() *cobra.Command {
	var platform, revision, mcpName string
	var annotations []string
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "push REF FILE[:os/arch]...",
		Short: "Publish a bundle version: one OCI image index with a manifest per platform",
		Long: "REF is @scope/name (the version comes from manifest.json) or host/repo[:version].\n" +
			"Each FILE is one build; a FILE without :os/arch is platform-independent. Blobs go first, then\n" +
			"the platform manifests, then the index under the version tag, so a failed push publishes nothing.\n" +
			"Versions are immutable: pushing different files under a published version fails (exit code 2);\n" +
			"pushing the same files again changes nothing.",
		Example: "  mpak bundle push @acme/weather weather-1.2.0.mcpb\n" +
			"  mpak bundle push ghcr.io/acme/mcp/weather w-linux.mcpb:linux/amd64 w-mac.mcpb:darwin/arm64",
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := fileArgs(args[1:], platform)
			if err != nil {
				return err
			}
			values, _, err := KeyValues("annotation", annotations)
			if err != nil {
				return err
			}
			opts := mpak.PushOptions{Annotations: Last(values), Revision: revision, MCPName: mcpName}
			if opts.Created, err = a.sourceDate(); err != nil {
				return err
			}
			c, err := a.PlainClient(false)
			if err != nil {
				return err
			}
			var done func()
			opts.Progress, done = a.bars(jsonOut)
			res, err := c.Push(cmd.Context(), args[0], files, opts)
			done()
			if err != nil {
				return err
			}
			r, tag, plan := res.Ref, res.Tag, res.Plan
			o := PushOutput{Reference: r.RepositoryRef() + ":" + tag, Tag: tag, Digest: plan.Index.Digest.String(), Unchanged: res.Unchanged}
			for _, b := range plan.Builds {
				o.Builds = append(o.Builds, buildOutput{Platform: b.File.Platform.String(), Manifest: b.Descriptor.Digest.String(),
					Bundle: b.Layer.Digest.String(), Size: b.Layer.Size, File: b.File.Path})
				for _, w := range problems(b.Warnings) {
					o.Warnings = append(o.Warnings, b.File.Path+": "+w)
				}
			}
			return a.Emit(jsonOut, o, func() {
				a.Warn(o.Warnings...)
				if res.Unchanged {
					a.Infof("%s already holds exactly these files: nothing to do", o.Reference)
				}
				a.printf("%s@%s\n", o.Reference, o.Digest)
				for _, b := range o.Builds {
					a.Infof("  %-14s %s  %s", b.Platform, b.Manifest, humanSize(b.Size))
				}
			})
		},
	}
	cmd.Flags().StringVar(&platform, "platform", "", "platform of a single FILE given without :os/arch")
	cmd.Flags().StringVar(&revision, "revision", "", "source revision (org.opencontainers.image.revision), e.g. a git commit")
	cmd.Flags().StringVar(&mcpName, "mcp-name", "", "official MCP Registry server name (io.github.owner/name)")
	cmd.Flags().StringArrayVarP(&annotations, "annotation", "a", nil, "extra annotation KEY=VALUE on the index and manifests (repeatable)")
	JSONFlag(cmd, &jsonOut)
	return cmd
}

func fileArgs(args []string, platform string) ([]bundle.File, error) {
	if platform != "" && len(args) != 1 {
		return nil, fmt.Errorf("--platform applies to a single FILE; with several, write FILE:os/arch for each")
	}
	var files []bundle.File
	for _, arg := range args {
		f, err := bundle.ParseFileArg(arg)
		if err != nil {
			return nil, err
		}
		if platform != "" {
			if f.Platform, err = mediatypes.ParsePlatform(platform); err != nil {
				return nil, err
			}
		}
		files = append(files, f)
	}
	return files, nil
}
