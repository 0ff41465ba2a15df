package cli

import (
	"github.com/spf13/cobra"
)

func (a *App) tagsCommand() *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "tags REF",
		Short: "List the published versions, highest first",
		Long:  "Signature, attestation and referrer fallback tags (sha256-*, *.sig, *.att) are not versions and are hidden.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.PlainClient(false)
			if err != nil {
				return err
			}
			v, err := c.Versions(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			versions := v.Versions
			if versions == nil {
				versions = []string{}
			}
			return a.Emit(jsonOut, map[string]any{"repository": v.Ref.RepositoryRef(), "versions": versions}, func() {
				for _, v := range versions {
					a.printf("%s\n", v)
				}
			})
		},
	}
	JSONFlag(cmd, &jsonOut)
	return cmd
}
