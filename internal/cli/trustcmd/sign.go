package trustcmd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/internal/cli"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/oci/referrer"
	"github.com/mpak-oci/mpak/oci/sign"
)

type SignOutput struct {
	Reference string        `json:"reference"`
	Signed    []sign.Signed `json:"signed"`
}

// resolveRoot resolves REF once to its version and returns the version's
// root descriptor and, with platforms, the platform manifests under it:
// what is signed or verified is the digest that one resolution found.
func (a *app) resolveRoot(ctx context.Context, arg string, platforms bool) (ref.Reference, *bundle.Version, []ocispec.Descriptor, error) {
	res, err := a.Resolve(ctx, arg)
	if err != nil {
		return ref.Reference{}, nil, nil, err
	}
	r, v := res.Ref, res.Version
	out := []ocispec.Descriptor{v.Root}
	if platforms && v.Index != nil {
		out = append(out, v.Index.Manifests...)
	}
	return r, v, out, nil
}

// signFormats reads --format. --legacy-only, from when sign wrote a bundle
// too unless told not to, still means the .sig tag alone, and contradicts
// an explicit --format asking for more.
func signFormats(cmd *cobra.Command, names []string, legacyOnly bool) ([]string, error) {
	if legacyOnly {
		if cmd.Flags().Changed("format") && !slices.Equal(names, []string{"legacy"}) {
			return nil, fmt.Errorf("--legacy-only writes cosign's .sig tag alone, but --format asks for %s: drop --legacy-only", strings.Join(names, ","))
		}
		return []string{sign.FormatCosignTag}, nil
	}
	if len(names) == 0 {
		return nil, errors.New("--format is empty: name at least one of legacy, referrer, bundle")
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		f, err := sign.ParseFormat(strings.TrimSpace(n))
		if err != nil {
			return nil, fmt.Errorf("--format: %w", err)
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

// bundlesWarning says why `cosign verify` may not accept the signature just
// written without a sigstore bundle when t already has sigstore bundle
// referrers, a signed scan verdict for one: cosign 2.6 and 3 then check
// the bundles alone, against the key given, and ignore the .sig tag.
func bundlesWarning(ctx context.Context, reg sign.Registry, t ocispec.Descriptor) string {
	bundles, err := referrer.List(ctx, reg.Referrers, t, mediatypes.SigstoreBundle)
	if err != nil || len(bundles) == 0 {
		return ""
	}
	return fmt.Sprintf("%s already has %d sigstore bundle referrer(s) (a signed scan verdict or an attestation, say): "+
		"cosign 2.6 and 3 then verify those bundles only, so `cosign verify --key` may fail on this signature; "+
		"sign with --format legacy,bundle for cosign 3 (cosign 2.6 then also needs --trusted-root)", t.Digest, len(bundles))
}

func (a *app) signCommand() *cobra.Command {
	var key string
	var platforms, legacyOnly, keyless, jsonOut bool
	var formatNames []string
	var kl sign.KeylessOptions
	var annotations []string
	cmd := &cobra.Command{
		Use:   "sign REF --key cosign.key",
		Short: "Sign a version's index digest (and with --platforms each platform manifest) the way cosign does",
		Long: "By default writes cosign's signature image under the sha256-<hex>.sig tag, which a plain\n" +
			"`cosign verify --key cosign.pub --insecure-ignore-tlog=true IMAGE` checks, offline too, with cosign 2.6 and 3.\n" +
			"--format chooses other formats (repeatable, or comma-separated):\n" +
			"  legacy    cosign's sha256-<hex>.sig tag (the default)\n" +
			"  referrer  cosign's OCI 1.1 signature referrer (cosign verify --experimental-oci11 reads it)\n" +
			"  bundle    a sigstore bundle v0.3 referrer, cosign v3's layout. Once a version has one, cosign 2.6 and 3\n" +
			"            verify only its bundles, and cosign 2.6 then needs --trusted-root (offline, an empty one does)\n" +
			"`mpak bundle verify` reads all three. The key's password comes from COSIGN_PASSWORD or the terminal.\n\n" +
			"Keyless signing (--keyless: an ephemeral key certified by Fulcio for the OIDC identity of --identity-token,\n" +
			"logged in Rekor) needs both services reachable, so it cannot be used on an offline machine.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			// signOne signs one target with the key or keyless.
			signOne := func(reg sign.Registry, d name.Digest, t ocispec.Descriptor) (*sign.Signed, error) {
				if kl.IdentityToken == "" {
					kl.IdentityToken = a.Getenv("SIGSTORE_ID_TOKEN")
				}
				return sign.SignKeyless(ctx, reg, d, t, kl)
			}
			var formats []string // with a key; keyless writes a sigstore bundle
			if !keyless {
				sv, err := a.loadSigner(key)
				if err != nil {
					return err
				}
				values, _, err := cli.KeyValues("annotation", annotations)
				if err != nil {
					return err
				}
				ann := map[string]any{}
				for k, v := range cli.Last(values) {
					ann[k] = v
				}
				formats, err = signFormats(cmd, formatNames, legacyOnly)
				if err != nil {
					return err
				}
				signOne = func(reg sign.Registry, d name.Digest, t ocispec.Descriptor) (*sign.Signed, error) {
					return sign.Sign(ctx, reg, d, t, sv, sign.SignOptions{Annotations: ann, Formats: formats})
				}
			}
			r, _, targets, err := a.resolveRoot(ctx, args[0], platforms)
			if err != nil {
				return err
			}
			out := SignOutput{Reference: r.RepositoryRef()}
			for _, t := range targets {
				reg, d, err := sign.Open(ctx, r, t.Digest.String(), a.Remote)
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
					by = "with key " + s.KeyID + " (" + strings.Join(formats, ", ") + ")"
				}
				a.Infof("signed %s@%s %s", r.RepositoryRef(), s.Digest, by)
				if formats != nil && !slices.Contains(formats, sign.FormatSigstoreBundle) {
					a.Warn(bundlesWarning(ctx, reg, t))
				}
			}
			if jsonOut {
				return a.PrintJSON(out)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "cosign private key file")
	cmd.Flags().BoolVar(&platforms, "platforms", false, "also sign each platform manifest")
	cmd.Flags().StringArrayVarP(&annotations, "annotation", "a", nil, "key=value to include in the signed payload (repeatable)")
	// The default is sign.DefaultFormats, by the name users write.
	cmd.Flags().StringSliceVar(&formatNames, "format", []string{"legacy"}, "what to write: legacy (cosign's .sig tag), referrer (cosign's OCI 1.1 referrer), bundle (sigstore bundle referrer); repeatable")
	cmd.Flags().BoolVar(&legacyOnly, "legacy-only", false, "write only cosign's .sig image")
	_ = cmd.Flags().MarkDeprecated("legacy-only", "it is the default now; use --format to choose")
	cmd.Flags().BoolVar(&keyless, "keyless", false, "sign with an ephemeral key certified by Fulcio for an OIDC identity, logged in Rekor (needs both reachable)")
	cmd.Flags().StringVar(&kl.IdentityToken, "identity-token", "", "OIDC token for --keyless (default $SIGSTORE_ID_TOKEN)")
	cmd.Flags().StringVar(&kl.FulcioURL, "fulcio-url", sign.DefaultFulcio, "Fulcio for --keyless")
	cmd.Flags().StringVar(&kl.RekorURL, "rekor-url", sign.DefaultRekor, "Rekor for --keyless")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the result as JSON")
	return cmd
}
