package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/oci/sign"
)

type signOutput struct {
	Reference string        `json:"reference"`
	Signed    []sign.Signed `json:"signed"`
}

// resolveRoot resolves REF once to its version and returns the version's
// root descriptor and, with platforms, the platform manifests under it:
// what is signed or verified is the digest that one resolution found.
func (a *app) resolveRoot(ctx context.Context, arg string, platforms bool) (ref.Reference, *bundle.Version, []ocispec.Descriptor, error) {
	r, err := a.parseRef(arg)
	if err != nil {
		return r, nil, nil, err
	}
	repo, err := a.remote.Repository(r)
	if err != nil {
		return r, nil, nil, err
	}
	v, err := bundle.ResolveVersion(ctx, repo, r)
	if err != nil {
		return r, nil, nil, err
	}
	out := []ocispec.Descriptor{v.Root}
	if platforms && v.Index != nil {
		out = append(out, v.Index.Manifests...)
	}
	return r, v, out, nil
}

func (a *app) signCommand() *cobra.Command {
	var key string
	var platforms, legacyOnly, keyless, jsonOut bool
	var kl sign.KeylessOptions
	var annotations []string
	cmd := &cobra.Command{
		Use:   "sign REF --key cosign.key",
		Short: "Sign a version's index digest (and with --platforms each platform manifest) the way cosign does",
		Long: "Writes cosign's signature image under the sha256-<hex>.sig tag (what `cosign verify --key` checks) and a\n" +
			"sigstore bundle referrer (application/vnd.dev.sigstore.bundle.v0.3+json, cosign v3's layout). The key's\n" +
			"password comes from COSIGN_PASSWORD or the terminal.\n\n" +
			"Keyless signing (--keyless: an ephemeral key certified by Fulcio for the OIDC identity of --identity-token,\n" +
			"logged in Rekor) needs both services reachable, so it cannot be used on an offline machine.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			// signOne signs one target with the key or keyless.
			signOne := func(reg sign.Registry, d name.Digest, t ocispec.Descriptor) (*sign.Signed, error) {
				return sign.SignKeyless(ctx, reg, d, t, kl)
			}
			if !keyless {
				sv, err := a.loadSigner(key)
				if err != nil {
					return err
				}
				ann := map[string]any{}
				for _, kv := range annotations {
					k, v, ok := strings.Cut(kv, "=")
					if !ok {
						return fmt.Errorf("annotation %q: want key=value", kv)
					}
					ann[k] = v
				}
				signOne = func(reg sign.Registry, d name.Digest, t ocispec.Descriptor) (*sign.Signed, error) {
					return sign.Sign(ctx, reg, d, t, sv, sign.SignOptions{Annotations: ann, LegacyOnly: legacyOnly})
				}
			}
			r, _, targets, err := a.resolveRoot(ctx, args[0], platforms)
			if err != nil {
				return err
			}
			out := signOutput{Reference: r.RepositoryRef()}
			for _, t := range targets {
				reg, d, err := sign.Open(ctx, r, t.Digest.String(), a.remote)
				if err != nil {
					return err
				}
				s, err := signOne(reg, d, t)
				if err != nil {
					return err
				}
				out.Signed = append(out.Signed, *s)
				by := "keyless"
				if s.KeyID != "" {
					by = "with key " + s.KeyID
				}
				a.infof("signed %s@%s %s", r.RepositoryRef(), s.Digest, by)
			}
			if jsonOut {
				return a.printJSON(out)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "cosign private key file")
	cmd.Flags().BoolVar(&platforms, "platforms", false, "also sign each platform manifest")
	cmd.Flags().StringArrayVarP(&annotations, "annotation", "a", nil, "key=value to include in the signed payload (repeatable)")
	cmd.Flags().BoolVar(&legacyOnly, "legacy-only", false, "write only cosign's .sig image, no sigstore bundle referrer (for registries that refuse subjects)")
	cmd.Flags().BoolVar(&keyless, "keyless", false, "sign with an ephemeral key certified by Fulcio for an OIDC identity, logged in Rekor (needs both reachable)")
	cmd.Flags().StringVar(&kl.IdentityToken, "identity-token", "", "OIDC token for --keyless (default $SIGSTORE_ID_TOKEN)")
	cmd.Flags().StringVar(&kl.FulcioURL, "fulcio-url", sign.DefaultFulcio, "Fulcio for --keyless")
	cmd.Flags().StringVar(&kl.RekorURL, "rekor-url", sign.DefaultRekor, "Rekor for --keyless")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the result as JSON")
	return cmd
}
