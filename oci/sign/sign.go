package sign

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrremote "github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
	"github.com/sigstore/sigstore/pkg/signature/payload"

	"github.com/mpak-oci/mpak/oci/claims"
	"github.com/mpak-oci/mpak/oci/referrer"
)

// Registry is how this package reaches a repository: cosign's libraries
// speak go-containerregistry, referrers go through oras-go. Both are built
// from the same credentials by the caller.
type Registry struct {
	// Remote are go-containerregistry options (auth, transport).
	Remote []ggcrremote.Option
	// Referrers is the same repository for oras-go.
	Referrers referrer.Target
}

func (r Registry) cosign() []ociremote.Option {
	return []ociremote.Option{ociremote.WithRemoteOptions(r.Remote...)}
}

// SignOptions tune Sign.
type SignOptions struct {
	// Annotations go into the signed payload (cosign sign -a).
	Annotations map[string]any
	// LegacyOnly writes cosign's .sig image alone, without the sigstore
	// bundle referrer: for registries that refuse manifests with a subject.
	LegacyOnly bool
}

// Signed is what Sign wrote.
type Signed struct {
	Digest digest.Digest
	KeyID  string
	// LegacyTag is cosign's sha256-<hex>.sig tag; Bundle the sigstore
	// bundle referrer's manifest.
	LegacyTag string
	Bundle    ocispec.Descriptor
}

// Sign signs the manifest or index d points at with sv.
func Sign(ctx context.Context, reg Registry, d name.Digest, subject ocispec.Descriptor, sv signature.SignerVerifier, opts SignOptions) (*Signed, error) {
	keyID, err := KeyID(sv)
	if err != nil {
		return nil, err
	}
	// cosign's simple signing, appended to the .sig image (others'
	// signatures there stay).
	pl, err := payload.Cosign{Image: d, Annotations: opts.Annotations}.MarshalJSON()
	if err != nil {
		return nil, err
	}
	raw, err := sv.SignMessage(bytes.NewReader(pl))
	if err != nil {
		return nil, fmt.Errorf("signing %s: %w", d, err)
	}
	sig, err := static.NewSignature(pl, base64.StdEncoding.EncodeToString(raw))
	if err != nil {
		return nil, err
	}
	tag, err := reg.attachLegacy(d, "signature", func(se oci.SignedEntity) (oci.SignedEntity, error) {
		return mutate.AttachSignatureToEntity(se, sig)
	}, ociremote.WriteSignatures, ociremote.SignatureTag)
	if err != nil {
		return nil, err
	}

	dg, err := digest.Parse(d.DigestStr())
	if err != nil {
		return nil, err
	}
	signed := &Signed{Digest: dg, KeyID: keyID, LegacyTag: tag}
	if opts.LegacyOnly {
		return signed, nil
	}
	// The sigstore bundle: a DSSE envelope over a statement naming d.
	st, err := claims.NewStatement(claims.SignPredicate, map[string]any{}, claims.SubjectOf(d.Context().String(), dg))
	if err != nil {
		return nil, err
	}
	bundle, err := signBundle(sv, keyID, st)
	if err != nil {
		return nil, err
	}
	desc, err := reg.attachBundle(ctx, subject, bundle, claims.SignPredicate)
	if err != nil {
		return nil, err
	}
	signed.Bundle = desc
	return signed, nil
}

// signBundle signs statement st into a sigstore bundle.
func signBundle(sv signature.SignerVerifier, keyID string, st []byte) ([]byte, error) {
	env, err := dsse.WrapSigner(sv, claims.PayloadType).SignMessage(bytes.NewReader(st))
	if err != nil {
		return nil, fmt.Errorf("signing the statement: %w", err)
	}
	return newBundle(keyID, env)
}

// attachLegacy adds to d's cosign tag image (.sig or .att) the way cosign
// does: read what is there, append, write back, and return the tag.
func (r Registry) attachLegacy(d name.Digest, what string, add func(oci.SignedEntity) (oci.SignedEntity, error),
	write func(name.Repository, oci.SignedEntity, ...ociremote.Option) error,
	tagOf func(name.Reference, ...ociremote.Option) (name.Tag, error)) (string, error) {
	se, err := ociremote.SignedEntity(d, r.cosign()...)
	if err != nil {
		return "", fmt.Errorf("reading %s to add a %s: %w", d, what, err)
	}
	if se, err = add(se); err != nil {
		return "", err
	}
	if err := write(d.Repository, se, r.cosign()...); err != nil {
		return "", fmt.Errorf("writing the %s of %s: %w", what, d, err)
	}
	tag, err := tagOf(d, r.cosign()...)
	if err != nil {
		return "", err
	}
	return tag.TagStr(), nil
}
