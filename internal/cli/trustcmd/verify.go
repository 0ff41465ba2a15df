package trustcmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/internal/cli"
	"github.com/mpak-oci/mpak/oci/sign"
	"github.com/mpak-oci/mpak/trust"
)

type VerifyOutput struct {
	Reference string        `json:"reference"`
	Verified  []sign.Result `json:"verified"`
	Problems  []string      `json:"problems,omitempty"`
}

func (a *app) verifyCommand() *cobra.Command {
	var key string
	var platforms, jsonOut bool
	var id sign.Identity
	cmd := &cobra.Command{
		Use:   "verify REF --key cosign.pub",
		Short: "Verify the signatures and attestations of a version (cosign's and mpak's)",
		Long: "With --identity and --issuer instead of --key, checks keyless sigstore bundles (Fulcio certificates, Rekor\n" +
			"entries) against the Sigstore trusted root (--trusted-root offline).\n" +
			"Finds cosign signatures and attestations under the legacy sha256-<hex>.sig/.att tags, cosign's OCI 1.1\n" +
			"referrer signatures, and sigstore bundle referrers (through the referrers API or the fallback tag), checks\n" +
			"each against the public key, and prints who signed what. Exits 3 when nothing verifies.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var opts trust.VerifyOptions
			switch {
			case key != "":
				var err error
				if opts.Key, err = loadPublicKey(key); err != nil {
					return err
				}
				opts.Platforms = platforms
			case id.Subject != "":
				opts.Identity = &id
			}
			c, err := a.PlainClient(false)
			if err != nil {
				return err
			}
			res, failed := trust.New(c).Verify(cmd.Context(), args[0], opts)
			if res == nil {
				return failed
			}
			out := VerifyOutput{Reference: res.Resolved.Name(), Verified: res.Results, Problems: res.Problems}
			if err := a.Emit(jsonOut, out, func() {
				for _, r := range out.Verified {
					line := fmt.Sprintf("%s %s (%s) by key %s", r.Digest, r.Kind, r.Format, r.KeyID)
					if opts.Identity != nil {
						line = fmt.Sprintf("%s %s (%s) by %s", r.Digest, r.Kind, r.Format, r.KeyID)
					}
					if r.Statement != nil && r.Kind == "attestation" {
						line += ", predicate " + r.Statement.PredicateType
					}
					if p := r.Provenance; p != nil {
						line += ", " + p.Describe()
					}
					fmt.Fprintln(a.Stdout, line)
				}
			}); err != nil {
				return err
			}
			return failed
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "cosign public key file")
	cmd.Flags().BoolVar(&platforms, "platforms", false, "also require a valid signature on each platform manifest")
	cmd.Flags().StringVar(&id.Subject, "identity", "", "keyless: the signer's certificate identity (an email or a workflow URI)")
	cmd.Flags().StringVar(&id.Issuer, "issuer", "", "keyless: the OIDC issuer of --identity")
	cmd.Flags().StringVar(&id.TrustedRoot, "trusted-root", "", "keyless: Sigstore trusted_root.json (default: the public instance's, fetched through TUF)")
	cli.JSONFlag(cmd, &jsonOut)
	return cmd
}
