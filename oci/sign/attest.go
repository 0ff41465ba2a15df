package sign

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/dsse"

	"github.com/mpak-oci/mpak/oci/claims"
)

// AttestOptions say what to attest.
type AttestOptions struct {
	// PredicateType and Predicate are the statement's claim, e.g.
	// claims.SLSAProvenance and claims.Provenance.Predicate().
	PredicateType string
	Predicate     json.RawMessage
	// Subjects are named in the statement besides the signed digest: the
	// bundles' own sha256 (the .mcpb layer digests), say.
	Subjects []claims.Subject
	// LegacyOnly writes cosign's .att image alone.
	LegacyOnly bool
}

// Attest signs an in-toto statement about d and attaches it twice, as
// cosign attest does (a DSSE envelope in the sha256-<hex>.att image) and as
// a sigstore bundle referrer.
func Attest(ctx context.Context, reg Registry, d name.Digest, subject ocispec.Descriptor, sv signature.SignerVerifier, opts AttestOptions) (*Signed, error) {
	if opts.PredicateType == "" || len(opts.Predicate) == 0 {
		return nil, errors.New("attesting: no predicate: pass its type and content (or SLSA provenance)")
	}
	keyID, err := KeyID(sv)
	if err != nil {
		return nil, err
	}
	dg, err := digest.Parse(d.DigestStr())
	if err != nil {
		return nil, err
	}
	st, err := claims.NewStatement(opts.PredicateType, opts.Predicate, append([]claims.Subject{claims.SubjectOf(d.Context().String(), dg)}, opts.Subjects...)...)
	if err != nil {
		return nil, err
	}
	env, err := dsse.WrapSigner(sv, claims.PayloadType).SignMessage(bytes.NewReader(st))
	if err != nil {
		return nil, fmt.Errorf("signing the statement: %w", err)
	}
	att, err := static.NewAttestation(env)
	if err != nil {
		return nil, err
	}
	tag, err := reg.attachLegacy(d, "attestation", func(se oci.SignedEntity) (oci.SignedEntity, error) {
		return mutate.AttachAttestationToEntity(se, att)
	}, ociremote.WriteAttestations, ociremote.AttestationTag)
	if err != nil {
		return nil, err
	}
	out := &Signed{Digest: dg, KeyID: keyID, LegacyTag: tag}
	if opts.LegacyOnly {
		return out, nil
	}
	bundle, err := newBundle(keyID, env)
	if err != nil {
		return nil, err
	}
	out.Bundle, err = reg.attachBundle(ctx, subject, bundle, opts.PredicateType)
	if err != nil {
		return nil, err
	}
	return out, nil
}
