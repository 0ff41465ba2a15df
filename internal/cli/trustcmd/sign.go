package trustcmd

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/internal/cli"
	"github.com/mpak-oci/mpak/oci/sign"
	"github.com/mpak-oci/mpak/trust"
)

type SignOutput struct {
	Reference string        `json:"reference"`
	Signed    []sign.Signed `json:"signed"`
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
			var opts trust.SignOptions
			if keyless {
				if kl.IdentityToken == "" {
					kl.IdentityToken = a.Getenv("SIGSTORE_ID_TOKEN")
				}
				opts.Keyless = &kl
			} else {
				sv, err := a.loadSigner(key)
				if err != nil {
					return err
				}
				values, _, err := cli.KeyValues("annotation", annotations)
				if err != nil {
					return err
				}
				opts.Key, opts.Annotations = sv, map[string]any{}
				for k, v := range cli.Last(values) {
					opts.Annotations[k] = v
				}
				if opts.Formats, err = signFormats(cmd, formatNames, legacyOnly); err != nil {
					return err
				}
			}
			opts.Platforms = platforms
			c, err := a.PlainClient(false)
			if err != nil {
				return err
			}
			res, err := trust.New(c).Sign(ctx, args[0], opts)
			if err != nil {
				return err
			}
			r := res.Resolved.Ref
			out := SignOutput{Reference: r.RepositoryRef(), Signed: res.Signed}
			for _, s := range res.Signed {
				by := "keyless"
				if s.KeyID != "" {
					by = "with key " + s.KeyID + " (" + strings.Join(opts.Formats, ", ") + ")"
				}
				a.Infof("signed %s@%s %s", r.RepositoryRef(), s.Digest, by)
			}
			a.Warn(res.Warnings...)
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
	cli.JSONFlag(cmd, &jsonOut)
	return cmd
}
