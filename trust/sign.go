package trust

import (
	"context"
	"errors"
	"fmt"
	"slices"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mpak-oci/mpak"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/referrer"
	"github.com/mpak-oci/mpak/oci/sign"
)

// SignOptions say how to sign: with Key, or keyless with Keyless.
type SignOptions struct {
	Key     signature.SignerVerifier
	Keyless *sign.KeylessOptions
	// Formats are what a key signature writes (sign.DefaultFormats when
	// empty); keyless writes a sigstore bundle.
	Formats []string
	// Annotations go into the signed payload (key signatures).
	Annotations map[string]any
	// Platforms signs each platform manifest too.
	Platforms bool
}

// Signed is what Sign wrote, target by target.
type Signed struct {
	Resolved *mpak.Resolved
	Signed   []sign.Signed
	// Warnings are for the user: a version that already has sigstore
	// bundles, which make cosign ignore the .sig just written.
	Warnings []string
}

// Sign resolves s once and signs that version's index (and, with
// opts.Platforms, its platform manifests).
func (c *Client) Sign(ctx context.Context, s string, opts SignOptions) (*Signed, error) {
	if (opts.Key == nil) == (opts.Keyless == nil) {
		return nil, errors.New("sign with a key or keyless, one of the two")
	}
	r, err := c.Resolve(ctx, s)
	if err != nil {
		return nil, err
	}
	out := &Signed{Resolved: r}
	for _, t := range targets(r, opts.Platforms) {
		reg, d, err := sign.Open(ctx, r.Ref, t.Digest.String(), c.Options().Remote)
		if err != nil {
			return nil, err
		}
		var res *sign.Signed
		if opts.Keyless != nil {
			res, err = sign.SignKeyless(ctx, reg, d, t, *opts.Keyless)
		} else {
			res, err = sign.Sign(ctx, reg, d, t, opts.Key, sign.SignOptions{Annotations: opts.Annotations, Formats: opts.Formats})
		}
		if err != nil {
			return nil, err
		}
		out.Signed = append(out.Signed, *res)
		formats := opts.Formats
		if len(formats) == 0 {
			formats = sign.DefaultFormats
		}
		if opts.Keyless == nil && !slices.Contains(formats, sign.FormatSigstoreBundle) {
			if w := bundlesWarning(ctx, reg, t); w != "" {
				out.Warnings = append(out.Warnings, w)
			}
		}
	}
	return out, nil
}

// targets are the root and, with platforms, its platform manifests.
func targets(r *mpak.Resolved, platforms bool) []ocispec.Descriptor {
	out := []ocispec.Descriptor{r.Version.Root}
	if platforms && r.Version.Index != nil {
		out = append(out, r.Version.Index.Manifests...)
	}
	return out
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
