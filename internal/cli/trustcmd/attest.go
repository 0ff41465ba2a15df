package trustcmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/internal/cli"
	"github.com/mpak-oci/mpak/oci/claims"
	"github.com/mpak-oci/mpak/oci/sign"
	"github.com/mpak-oci/mpak/trust"
)

func (a *app) attestCommand() *cobra.Command {
	var key, predicateFile, predicateType string
	var slsa, legacyOnly, jsonOut bool
	var prov claims.Provenance
	cmd := &cobra.Command{
		Use:   "attest REF --key cosign.key (--slsa | --predicate FILE --type URI)",
		Short: "Sign an in-toto statement about a version (SLSA provenance v1 with --slsa) and attach it",
		Long: "The statement's subjects are the version's index digest and each platform's bundle sha256 (its .mcpb\n" +
			"layer). It is attached as cosign attest does (the sha256-<hex>.att image, for cosign verify-attestation)\n" +
			"and as a sigstore bundle referrer. With --slsa, the provenance names the source repository and revision\n" +
			"and the builder: from the flags, else from CI variables (GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_SHA,\n" +
			"GITHUB_WORKFLOW_REF, GITHUB_RUN_ID).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var opts sign.AttestOptions
			switch {
			case slsa && predicateFile != "":
				return errors.New("--slsa and --predicate: pick one")
			case slsa:
				prov = claims.ProvenanceFromEnv(prov, a.Getenv)
				if prov.SourceRepo == "" || prov.SourceRevision == "" {
					return errors.New("SLSA provenance needs the source: pass --source-repo and --source-revision (or run in CI with GITHUB_* set)")
				}
				opts.PredicateType, opts.Predicate = claims.SLSAProvenance, prov.Predicate()
			case predicateFile != "":
				if predicateType == "" {
					return errors.New("--predicate needs --type, the predicate type URI")
				}
				b, err := os.ReadFile(predicateFile)
				if err != nil {
					return err
				}
				if !json.Valid(b) {
					return fmt.Errorf("%s is not JSON", predicateFile)
				}
				opts.PredicateType, opts.Predicate = predicateType, b
			default:
				return errors.New("nothing to attest: pass --slsa, or --predicate FILE --type URI")
			}
			opts.LegacyOnly = legacyOnly
			sv, err := a.loadSigner(key)
			if err != nil {
				return err
			}
			c, err := a.PlainClient(false)
			if err != nil {
				return err
			}
			res, err := trust.New(c).Attest(cmd.Context(), args[0], sv, opts)
			if err != nil {
				return err
			}
			r, s := res.Resolved.Ref, res.Signed
			a.Infof("attested %s@%s (%s) with key %s", r.RepositoryRef(), s.Digest, opts.PredicateType, s.KeyID)
			if jsonOut {
				return a.PrintJSON(s)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "cosign private key file")
	cmd.Flags().BoolVar(&slsa, "slsa", false, "attest SLSA provenance v1")
	cmd.Flags().StringVar(&prov.SourceRepo, "source-repo", "", "source repository URL for --slsa (default from CI)")
	cmd.Flags().StringVar(&prov.SourceRevision, "source-revision", "", "source revision (commit) for --slsa (default from CI)")
	cmd.Flags().StringVar(&prov.BuilderID, "builder-id", "", "builder ID URI for --slsa (default from CI)")
	cmd.Flags().StringVar(&predicateFile, "predicate", "", "file with a predicate to attest instead")
	cmd.Flags().StringVar(&predicateType, "type", "", "predicate type URI for --predicate")
	cmd.Flags().BoolVar(&legacyOnly, "legacy-only", false, "write only cosign's .att image, no sigstore bundle referrer")
	cli.JSONFlag(cmd, &jsonOut)
	return cmd
}
