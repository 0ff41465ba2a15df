package cli

import (
	"github.com/spf13/cobra"
)

type CopyOutput struct {
	Source      string   `json:"source"`
	Destination string   `json:"destination"`
	Digest      string   `json:"digest"`
	Tag         string   `json:"tag"`
	Referrers   int      `json:"referrers"`
	Legacy      []string `json:"legacy_tags,omitempty"`
}

func (a *App) copyCommand() *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "copy SRC DST",
		Short: "Copy a version with every platform build and everything attached to it to another repository or registry",
		Long: "SRC is resolved like pull (@scope/name[@version|@range|@digest] or host/repo[:tag|@digest]); DST is a\n" +
			"repository (host/repo or @scope/name), optionally with the version tag to write. The index, every platform\n" +
			"manifest and blob, and all referrers (signatures, attestations, SBOMs, scan reports, and what refers to\n" +
			"them) are copied with their digests unchanged, so `mpak bundle verify DST` passes afterwards. Referrers\n" +
			"are read through the referrers API or the sha256-<hex> fallback tag, and written the way DST supports;\n" +
			"cosign's legacy .sig/.att/.sbom tags come along too. What DST already has is not sent again.",
		Example: "  mpak bundle copy @acme/weather@1.2.0 harbor.internal/mcp/acme/weather\n" +
			"  mpak bundle copy localhost:5000/acme/weather@sha256:... registry.example/acme/weather:1.2.0",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.PlainClient(false)
			if err != nil {
				return err
			}
			prog, done := a.bars(jsonOut)
			res, err := c.Copy(cmd.Context(), args[0], args[1], prog)
			done()
			if err != nil {
				return err
			}
			// A yanked version copied by its exact version keeps its yank
			// record: the mark is a referrer, copied with the others.
			a.Warn(res.Source.Version.Warning)
			sr, dr := res.Source.Ref, res.Destination
			o := CopyOutput{Source: sr.RepositoryRef() + "@" + res.Root.Digest.String(), Destination: dr.RepositoryRef() + ":" + res.Tag,
				Digest: res.Root.Digest.String(), Tag: res.Tag, Referrers: res.Referrers, Legacy: res.Legacy}
			return a.Emit(jsonOut, o, func() {
				a.Infof("copied %s with %d referrers and %d legacy cosign tags", o.Source, o.Referrers, len(o.Legacy))
				a.printf("%s@%s\n", o.Destination, o.Digest)
			})
		},
	}
	JSONFlag(cmd, &jsonOut)
	return cmd
}
