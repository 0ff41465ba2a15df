package cli

import (
	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak"
)

type PullOutput struct {
	Reference string `json:"reference"`
	Version   string `json:"version"`
	Digest    string `json:"digest"`
	Platform  string `json:"platform"`
	Manifest  string `json:"manifest"`
	Bundle    string `json:"bundle"`
	Size      int64  `json:"size"`
	Path      string `json:"path"`
}

func (a *App) pullCommand() *cobra.Command {
	var platform, out string
	var jsonOut, force bool
	var pf PolicyFlags
	cmd := &cobra.Command{
		Use:   "pull REF",
		Short: "Download the bundle build for this platform, verified against its digest",
		Long: "REF is @scope/name[@version|@range|@sha256:...] or host/repo[:tag|@digest]. Without a version the\n" +
			"highest release is taken (not the newest push); ranges such as ^1.2, ~1.2.3 and \">=1 <2\" work.\n" +
			"The build is chosen as exact os/arch, then same OS any arch, then platform-independent.\n" +
			"The file is named <name>-<version>[-<os>-<arch>].mcpb from the bundle's manifest (never by the publisher's\n" +
			"layer title); an existing file is kept unless --force.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := PlatformArg(platform)
			if err != nil {
				return err
			}
			c, err := a.Client(pf)
			if err != nil {
				return err
			}
			// One resolution: the policy checks the digest it found and
			// Pull writes that version, whatever the tag says meanwhile.
			r, err := c.Resolve(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			a.Warn(r.Version.Warning)
			prog, done := a.bars(jsonOut)
			res, err := c.PullResolved(cmd.Context(), r, mpak.PullOptions{Platform: p, Output: out, Force: force, Progress: prog})
			done()
			if err != nil {
				return err
			}
			v := r.Version
			o := PullOutput{
				Reference: r.Name(),
				Version:   v.Reference,
				Digest:    res.Version.Root.Digest.String(),
				Platform:  res.Artifact.Entry.Platform.String(),
				Manifest:  res.Artifact.Entry.Descriptor.Digest.String(),
				Bundle:    res.Artifact.Layer.Digest.String(),
				Size:      res.Artifact.Layer.Size,
				Path:      res.Path,
			}
			return a.Emit(jsonOut, o, func() {
				a.Infof("resolved %s to %s (%s)", args[0], o.Reference, o.Platform)
				a.printf("%s\n", o.Path)
			})
		},
	}
	cmd.Flags().StringVar(&platform, "platform", "", "platform to select, os/arch (default: this machine)")
	cmd.Flags().StringVarP(&out, "output", "o", ".", "directory to write <name>-<version>[-<os>-<arch>].mcpb into, or the file path itself, ending in .mcpb")
	cmd.Flags().BoolVar(&force, "force", false, "replace the output file if it exists")
	JSONFlag(cmd, &jsonOut)
	pf.Add(cmd.Flags())
	return cmd
}
