package cli

import (
	"github.com/spf13/cobra"
	"oras.land/oras-go/v2/registry"

	"github.com/mpak-oci/mpak/oci/resolve"
)

func (a *App) tagsCommand() *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "tags REF",
		Short: "List the published versions, highest first",
		Long:  "Signature, attestation and referrer fallback tags (sha256-*, *.sig, *.att) are not versions and are hidden.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := a.ParseRef(args[0])
			if err != nil {
				return err
			}
			repo, err := a.Remote.Repository(r)
			if err != nil {
				return err
			}
			tags, err := registry.Tags(cmd.Context(), repo)
			if err != nil {
				return err
			}
			versions := resolve.Versions(tags)
			if jsonOut {
				if versions == nil {
					versions = []string{}
				}
				return a.PrintJSON(map[string]any{"repository": r.RepositoryRef(), "versions": versions})
			}
			for _, v := range versions {
				a.printf("%s\n", v)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the result as JSON")
	return cmd
}
