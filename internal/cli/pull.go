package cli

import (
	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
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
			r, err := a.ParseRef(args[0])
			if err != nil {
				return err
			}
			p := mediatypes.Host()
			if platform != "" {
				if p, err = mediatypes.ParsePlatform(platform); err != nil {
					return err
				}
			}
			repo, err := a.Remote.Repository(r)
			if err != nil {
				return err
			}
			// One resolution: the policy checks the digest it found and
			// Pull writes that version, whatever the tag says meanwhile.
			v, err := bundle.ResolveVersion(cmd.Context(), repo, r)
			if err != nil {
				return err
			}
			a.Warn(v.Warning)
			c, err := a.OpenCache()
			if err != nil {
				return err
			}
			pol, err := a.Policy(pf, c.Dir())
			if err != nil {
				return err
			}
			if err := pol.Check(cmd.Context(), r, v.Root.Digest, true); err != nil {
				return err
			}
			prog, done := a.bars(jsonOut)
			limits, err := a.archiveLimits()
			if err != nil {
				return err
			}
			res, err := bundle.Pull(cmd.Context(), repo, v, bundle.PullOptions{Platform: p, Output: out, Force: force, Progress: prog, Limits: limits})
			done()
			if err != nil {
				return err
			}
			o := PullOutput{
				Reference: r.RepositoryRef() + "@" + res.Version.Root.Digest.String(),
				Version:   v.Reference,
				Digest:    res.Version.Root.Digest.String(),
				Platform:  res.Artifact.Entry.Platform.String(),
				Manifest:  res.Artifact.Entry.Descriptor.Digest.String(),
				Bundle:    res.Artifact.Layer.Digest.String(),
				Size:      res.Artifact.Layer.Size,
				Path:      res.Path,
			}
			if jsonOut {
				return a.PrintJSON(o)
			}
			a.Infof("resolved %s to %s (%s)", args[0], o.Reference, o.Platform)
			a.printf("%s\n", o.Path)
			return nil
		},
	}
	cmd.Flags().StringVar(&platform, "platform", "", "platform to select, os/arch (default: this machine)")
	cmd.Flags().StringVarP(&out, "output", "o", ".", "directory to write <name>-<version>[-<os>-<arch>].mcpb into, or the file path itself, ending in .mcpb")
	cmd.Flags().BoolVar(&force, "force", false, "replace the output file if it exists")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the result as JSON")
	pf.Add(cmd.Flags())
	return cmd
}
