package sign

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
	"oras.land/oras-go/v2/content"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/claims"
	"github.com/mpak-oci/mpak/oci/referrer"
	"github.com/mpak-oci/mpak/oci/verify"
)

// ErrNotVerified is matched when nothing attached to a digest verifies.
// It also matches verify.ErrNotVerified, so that callers (the CLI's exit
// codes) need not import this package to recognise it.
var ErrNotVerified error = notVerified{}

type notVerified struct{}

func (notVerified) Error() string        { return "no signature or attestation verifies" }
func (notVerified) Is(target error) bool { return target == verify.ErrNotVerified }

// Formats of what Verify found.
const (
	FormatCosignTag      = claims.FormatCosignTag
	FormatCosignReferrer = claims.FormatCosignReferrer
	FormatSigstoreBundle = claims.FormatSigstoreBundle
)

// Result is one verified signature or attestation.
type Result struct {
	// Kind is "signature" or "attestation".
	Kind   string        `json:"kind"`
	Format string        `json:"format"`
	Digest digest.Digest `json:"digest"`
	KeyID  string        `json:"key_id"`
	// Statement is an attestation's (or a bundle signature's) in-toto
	// statement.
	Statement *claims.Statement `json:"statement,omitempty"`
	// Provenance is read from a SLSA provenance v1 attestation.
	Provenance *claims.Provenance `json:"provenance,omitempty"`
}

// withProvenance reads the provenance of an SLSA attestation.
func (r Result) withProvenance() Result {
	if r.Statement != nil && r.Statement.PredicateType == claims.SLSAProvenance {
		r.Provenance = claims.ParseProvenance(r.Statement.Predicate)
	}
	return r
}

// Verify checks everything attached to d (the manifest or index subject
// describes) against the public key v: cosign signatures and attestations
// under the legacy tags, cosign's OCI 1.1 referrer signatures, and sigstore
// bundle referrers. It returns what verified and, for the rest, why not;
// when nothing verified the error matches ErrNotVerified.
func Verify(ctx context.Context, reg Registry, d name.Digest, subject ocispec.Descriptor, v signature.Verifier) ([]Result, []error, error) {
	keyID, err := KeyID(v)
	if err != nil {
		return nil, nil, err
	}
	dg, err := digest.Parse(d.DigestStr())
	if err != nil {
		return nil, nil, err
	}
	var (
		results  []Result
		problems []error
	)
	co := func(oci11 bool, claims func(oci.Signature, v1.Hash, map[string]any) error) *cosign.CheckOpts {
		return &cosign.CheckOpts{SigVerifier: v, IgnoreTlog: true, IgnoreSCT: true, ExperimentalOCI11: oci11,
			ClaimVerifier: claims, RegistryClientOpts: reg.cosign()}
	}
	// cosign's OCI 1.1 lookup falls back to the legacy tag when it finds
	// no referrer, so it is asked only when there is one: each signature
	// is reported once, under the format it is stored in.
	oci11, err := referrer.List(ctx, reg.Referrers, subject, mediatypes.CosignSignature)
	if err != nil {
		problems = append(problems, err)
	}
	for _, c := range []struct {
		format string
		oci11  bool
		skip   bool
	}{{FormatCosignTag, false, false}, {FormatCosignReferrer, true, len(oci11) == 0}} {
		if c.skip {
			continue
		}
		sigs, _, err := cosign.VerifyImageSignatures(ctx, d, co(c.oci11, cosign.SimpleClaimVerifier))
		if err != nil {
			problems = append(problems, fmt.Errorf("%s signatures: %w", c.format, err))
		}
		for range sigs {
			results = append(results, Result{Kind: "signature", Format: c.format, Digest: dg, KeyID: keyID})
		}
	}
	atts, _, err := cosign.VerifyImageAttestations(ctx, d, co(false, cosign.IntotoSubjectClaimVerifier))
	if err != nil {
		problems = append(problems, fmt.Errorf("%s attestations: %w", FormatCosignTag, err))
	}
	for _, a := range atts {
		st, err := attestationStatement(a)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		results = append(results, Result{Kind: "attestation", Format: FormatCosignTag, Digest: dg, KeyID: keyID, Statement: st}.withProvenance())
	}

	bundles, err := referrer.List(ctx, reg.Referrers, subject, mediatypes.SigstoreBundle)
	if err != nil {
		problems = append(problems, err)
	}
	for _, b := range bundles {
		r, err := verifyBundle(ctx, reg.Referrers, b, dg, v, keyID)
		if err != nil {
			problems = append(problems, fmt.Errorf("sigstore bundle %s: %w", b.Digest, err))
			continue
		}
		results = append(results, *r)
	}
	if len(results) == 0 {
		return nil, problems, fmt.Errorf("%s: %w with key %s: %w", d, ErrNotVerified, keyID, errors.Join(problems...))
	}
	return results, problems, nil
}

// verifyBundle fetches a sigstore bundle referrer and checks its envelope
// against v and its statement against d.
func verifyBundle(ctx context.Context, repo referrer.Target, desc ocispec.Descriptor, d digest.Digest, v signature.Verifier, keyID string) (*Result, error) {
	mb, err := content.FetchAll(ctx, repo, desc)
	if err != nil {
		return nil, err
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return nil, err
	}
	if len(m.Layers) == 0 {
		return nil, errors.New("no layer")
	}
	data, err := content.FetchAll(ctx, repo, m.Layers[0])
	if err != nil {
		return nil, err
	}
	b, env, st, err := claims.OpenBundle(data)
	if err != nil {
		return nil, err
	}
	if env == nil {
		return nil, errors.New("sigstore bundle has no DSSE envelope (message signatures are not supported)")
	}
	if err := dsse.WrapVerifier(v).VerifySignature(bytes.NewReader(b.DSSEEnvelope), nil); err != nil {
		return nil, fmt.Errorf("signature does not verify with key %s: %w", keyID, err)
	}
	if !st.Names(d) {
		return nil, fmt.Errorf("signed statement is about %v, not %s", st.Subject, d)
	}
	kind := "attestation"
	if st.PredicateType == claims.SignPredicate {
		kind = "signature"
	}
	r := Result{Kind: kind, Format: FormatSigstoreBundle, Digest: d, KeyID: keyID, Statement: st}.withProvenance()
	return &r, nil
}

// attestationStatement reads the in-toto statement of a verified cosign
// attestation (a DSSE envelope as the payload).
func attestationStatement(a oci.Signature) (*claims.Statement, error) {
	pl, err := a.Payload()
	if err != nil {
		return nil, err
	}
	_, st, err := claims.OpenEnvelope(pl)
	if err != nil {
		return nil, fmt.Errorf("attestation: %w", err)
	}
	return st, nil
}
