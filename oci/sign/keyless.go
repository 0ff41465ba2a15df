package sign

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgsign "github.com/sigstore/sigstore-go/pkg/sign"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/mpak-oci/mpak/oci/claims"
)

// Public Sigstore instances, the defaults of keyless signing.
const (
	DefaultFulcio = "https://fulcio.sigstore.dev"
	DefaultRekor  = "https://rekor.sigstore.dev"
)

// KeylessOptions say who signs and where the certificate and the log
// entry come from.
type KeylessOptions struct {
	// IdentityToken is the signer's OIDC token (a CI's workload identity;
	// the CLI defaults it to $SIGSTORE_ID_TOKEN).
	IdentityToken string
	FulcioURL     string // default DefaultFulcio
	RekorURL      string // default DefaultRekor
	// Timeout bounds each request to Fulcio and Rekor (default 30s).
	Timeout time.Duration
}

// SignKeyless signs d with an ephemeral key certified by Fulcio for the
// token's identity, logs it in Rekor, and attaches the sigstore bundle as
// a referrer. It needs both services reachable.
func SignKeyless(ctx context.Context, reg Registry, d name.Digest, subject ocispec.Descriptor, opts KeylessOptions) (*Signed, error) {
	if opts.IdentityToken == "" {
		return nil, errors.New("keyless signing needs an OIDC identity token: pass --identity-token or set SIGSTORE_ID_TOKEN (in CI, the workload identity token)")
	}
	if opts.FulcioURL == "" {
		opts.FulcioURL = DefaultFulcio
	}
	if opts.RekorURL == "" {
		opts.RekorURL = DefaultRekor
	}
	dg, err := digest.Parse(d.DigestStr())
	if err != nil {
		return nil, err
	}
	st, err := claims.NewStatement(claims.SignPredicate, map[string]any{}, claims.SubjectOf(d.Context().String(), dg))
	if err != nil {
		return nil, err
	}
	keypair, err := sgsign.NewEphemeralKeypair(nil)
	if err != nil {
		return nil, err
	}
	b, err := sgsign.Bundle(&sgsign.DSSEData{Data: st, PayloadType: claims.PayloadType}, keypair, sgsign.BundleOptions{
		CertificateProvider:        sgsign.NewFulcio(&sgsign.FulcioOptions{BaseURL: opts.FulcioURL, Timeout: opts.Timeout}),
		CertificateProviderOptions: &sgsign.CertificateProviderOptions{IDToken: opts.IdentityToken},
		TransparencyLogs:           []sgsign.Transparency{sgsign.NewRekor(&sgsign.RekorOptions{BaseURL: opts.RekorURL, Timeout: opts.Timeout})},
		Context:                    ctx,
	})
	if err != nil {
		return nil, fmt.Errorf("keyless signing with Fulcio %s and Rekor %s: %w (both must be reachable)", opts.FulcioURL, opts.RekorURL, err)
	}
	body, err := protojson.Marshal(b)
	if err != nil {
		return nil, err
	}
	desc, err := reg.attachBundle(ctx, subject, body, claims.SignPredicate)
	if err != nil {
		return nil, err
	}
	return &Signed{Digest: dg, Bundle: desc}, nil
}

// Identity is who a keyless signature must be from.
type Identity struct {
	Subject, Issuer string
	// TrustedRoot is a Sigstore trusted_root.json; empty fetches the
	// public instance's through TUF, which needs the network.
	TrustedRoot string
}

// VerifyKeyless checks d's sigstore bundles for a certificate of the
// identity, chained to the trusted root and logged in its Rekor.
func VerifyKeyless(ctx context.Context, reg Registry, d name.Digest, id Identity) ([]Result, error) {
	if id.Subject == "" || id.Issuer == "" {
		return nil, errors.New("keyless verification needs both --identity (the certificate's subject) and --issuer (the OIDC issuer)")
	}
	co := &cosign.CheckOpts{NewBundleFormat: true, RegistryClientOpts: reg.cosign(),
		Identities:    []cosign.Identity{{Subject: id.Subject, Issuer: id.Issuer}},
		ClaimVerifier: cosign.IntotoSubjectClaimVerifier}
	var err error
	if id.TrustedRoot != "" {
		co.TrustedMaterial, err = root.NewTrustedRootFromPath(id.TrustedRoot)
	} else {
		co.TrustedMaterial, err = cosign.TrustedRoot()
	}
	if err != nil {
		return nil, fmt.Errorf("loading the Sigstore trusted root: %w (offline, pass --trusted-root FILE)", err)
	}
	dg, err := digest.Parse(d.DigestStr())
	if err != nil {
		return nil, err
	}
	sigs, _, err := cosign.VerifyImageAttestations(ctx, d, co)
	if err != nil {
		return nil, fmt.Errorf("%s: %w for %s from %s: %w", d, ErrNotVerified, id.Subject, id.Issuer, err)
	}
	out := make([]Result, 0, len(sigs))
	for range sigs {
		out = append(out, Result{Kind: "signature", Format: FormatSigstoreBundle, Digest: dg, KeyID: id.Subject + " (" + id.Issuer + ")"})
	}
	return out, nil
}
