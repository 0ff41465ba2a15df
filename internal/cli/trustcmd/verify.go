package trustcmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/oci/claims"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/oci/sign"
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
			if key == "" && id.Subject == "" {
				return errors.New("nothing to verify against: pass --key cosign.pub, or --identity and --issuer for keyless signatures")
			}
			if key == "" {
				return a.verifyKeyless(cmd, args[0], id, jsonOut)
			}
			pem, err := os.ReadFile(key)
			if err != nil {
				return err
			}
			v, err := sign.LoadPublicKey(pem)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			r, _, targets, err := a.resolveRoot(ctx, args[0], platforms)
			if err != nil {
				return err
			}
			out := VerifyOutput{Reference: r.RepositoryRef() + "@" + targets[0].Digest.String(), Verified: []sign.Result{}}
			var failed error
			for _, t := range targets {
				reg, d, err := sign.Open(ctx, r, t.Digest.String(), a.Remote)
				if err != nil {
					return err
				}
				res, problems, err := sign.Verify(ctx, reg, d, t, v)
				out.Verified = append(out.Verified, res...)
				for _, p := range problems {
					out.Problems = append(out.Problems, p.Error())
				}
				if err != nil && failed == nil {
					failed = a.notVerified(ctx, r, t, keyID(v), err)
				}
			}
			if jsonOut {
				if err := a.PrintJSON(out); err != nil {
					return err
				}
			} else {
				for _, r := range out.Verified {
					line := fmt.Sprintf("%s %s (%s) by key %s", r.Digest, r.Kind, r.Format, r.KeyID)
					if r.Statement != nil && r.Kind == "attestation" {
						line += ", predicate " + r.Statement.PredicateType
					}
					if p := r.Provenance; p != nil {
						line += ", " + p.Describe()
					}
					fmt.Fprintln(a.Stdout, line)
				}
			}
			return failed
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "cosign public key file")
	cmd.Flags().BoolVar(&platforms, "platforms", false, "also require a valid signature on each platform manifest")
	cmd.Flags().StringVar(&id.Subject, "identity", "", "keyless: the signer's certificate identity (an email or a workflow URI)")
	cmd.Flags().StringVar(&id.Issuer, "issuer", "", "keyless: the OIDC issuer of --identity")
	cmd.Flags().StringVar(&id.TrustedRoot, "trusted-root", "", "keyless: Sigstore trusted_root.json (default: the public instance's, fetched through TUF)")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the result as JSON")
	return cmd
}

// notVerified says why nothing attached to t verified with the key: when
// something is attached, that it is signed, by whom it says, and that the
// key is not theirs (cosign's own words, "no matching signatures" with an
// empty reason for attestations, read as if there were none); when nothing
// is, that it is unsigned. The details stay in --json's problems.
func (a *app) notVerified(ctx context.Context, r ref.Reference, t ocispec.Descriptor, key string, err error) error {
	if !errors.Is(err, sign.ErrNotVerified) {
		return err
	}
	repo, rerr := a.Remote.Repository(r)
	if rerr != nil {
		return err
	}
	var refs []ocispec.Descriptor
	if rerr := repo.Referrers(ctx, t, "", func(rs []ocispec.Descriptor) error {
		refs = append(refs, rs...)
		return nil
	}); rerr != nil {
		return err
	}
	c, _ := claims.Read(ctx, repo, t, refs, claims.Options{})
	where := r.RepositoryRef() + "@" + t.Digest.String()
	if !c.Signed() {
		return fmt.Errorf("%s: %w with key %s: nothing is attached to it, it is not signed (sign it with mpak bundle sign)", where, sign.ErrNotVerified, key)
	}
	var found []string
	ours := false
	for _, s := range c.Signers {
		found = append(found, s.Describe())
		ours = ours || s.KeyID == key
	}
	if ours {
		return err // signed with this key, yet it does not verify: the details say why
	}
	return fmt.Errorf("%s: %w with key %s: it is signed, but not with this key: found %s; verify with the public key of whoever signed it",
		where, sign.ErrNotVerified, key, strings.Join(found, ", "))
}

// keyID names a public key as signatures do, "" if it cannot be named.
func keyID(v signature.Verifier) string {
	id, err := sign.KeyID(v)
	if err != nil {
		return ""
	}
	return id
}

// verifyKeyless checks REF's keyless signatures for an identity.
func (a *app) verifyKeyless(cmd *cobra.Command, arg string, id sign.Identity, jsonOut bool) error {
	ctx := cmd.Context()
	r, _, targets, err := a.resolveRoot(ctx, arg, false)
	if err != nil {
		return err
	}
	reg, d, err := sign.Open(ctx, r, targets[0].Digest.String(), a.Remote)
	if err != nil {
		return err
	}
	res, err := sign.VerifyKeyless(ctx, reg, d, id)
	if err != nil {
		return err
	}
	if jsonOut {
		return a.PrintJSON(VerifyOutput{Reference: r.RepositoryRef() + "@" + targets[0].Digest.String(), Verified: res})
	}
	for _, x := range res {
		fmt.Fprintf(a.Stdout, "%s %s (%s) by %s\n", x.Digest, x.Kind, x.Format, x.KeyID)
	}
	return nil
}
