package cli

import (
	"github.com/spf13/cobra"
)

type YankOutput struct {
	Reference string `json:"reference"`
	Digest    string `json:"digest"`
	Yanked    bool   `json:"yanked"`
	Reason    string `json:"reason,omitempty"`
	Time      string `json:"time"`
	Record    string `json:"record"`
}

func (a *App) yankCommand() *cobra.Command {
	var reason string
	var undo, jsonOut bool
	cmd := &cobra.Command{
		Use:   "yank REF --reason TEXT",
		Short: "Mark a published version yanked: latest and ranges skip it, exact pins still get it with a warning",
		Long: "Versions are immutable and never deleted. A yanked version is skipped by latest and semver ranges;\n" +
			"an exact version (@1.2.0, :1.2.0) still resolves, with a warning that gives the reason, and a digest pin\n" +
			"is unchanged, so lock files keep working. --undo un-yanks it. REF names one version: an exact version\n" +
			"or the digest of its index.\n\n" +
			"The mark is a referrer of the version (artifactType application/vnd.mpak.yank.v1+json), so it works on\n" +
			"any OCI registry and `mpak bundle copy` carries it. The newest mark decides.",
		Example: "  mpak bundle yank @acme/weather@1.2.0 --reason \"leaks the API key in logs; use 1.2.1\"\n" +
			"  mpak bundle yank --undo @acme/weather@1.2.0",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.PlainClient(false)
			if err != nil {
				return err
			}
			y, err := c.Yank(cmd.Context(), args[0], !undo, reason)
			if err != nil {
				return err
			}
			r := y.Ref
			o := YankOutput{Reference: r.RepositoryRef() + ":" + y.Reference, Digest: y.Root.Digest.String(), Yanked: !undo,
				Reason: y.Reason, Time: y.Time, Record: y.Record.Digest.String()}
			if r.Digest != "" {
				o.Reference = r.RepositoryRef() + "@" + r.Digest
			}
			return a.Emit(jsonOut, o, func() {
				line := "yanked " + o.Reference
				if r.Digest == "" {
					line += " (" + o.Digest + ")"
				}
				if undo {
					line = "un" + line
				}
				if o.Reason != "" {
					line += ": " + o.Reason
				}
				a.printf("%s\n", line)
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, shown to everyone who pins the version (required unless --undo; at most 500 characters)")
	cmd.Flags().BoolVar(&undo, "undo", false, "un-yank: latest and ranges may select the version again")
	JSONFlag(cmd, &jsonOut)
	return cmd
}
