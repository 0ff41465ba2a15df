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

	"github.com/mpak-oci/mpak/mediatypes"
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
	// Formats are what Sign writes: any of FormatCosignTag,
	// FormatCosignReferrer and FormatSigstoreBundle. Empty means the
	// cosign tag and the sigstore bundle (the tag alone with LegacyOnly),
	// what Sign always wrote before the formats could be chosen.
	//
	// Which formats are attached decides what a plain `cosign verify --key`
	// does (see DefaultFormats): cosign 2.6 and 3 verify only sigstore
	// bundles once they find one, and cosign 2.6 then wants a trusted root.
	Formats []string
	// LegacyOnly writes cosign's .sig image alone, without the sigstore
	// bundle referrer: for registries that refuse manifests with a subject.
	// Formats, when set, take precedence.
	LegacyOnly bool
}

// DefaultFormats is what `mpak bundle sign` writes unless told otherwise:
// cosign's .sig tag alone. It is the one format a plain
// `cosign verify --key cosign.pub --insecure-ignore-tlog=true IMAGE`
// verifies offline with cosign 2.6 and 3 alike: cosign 2.6 reads OCI 1.1
// signature referrers only with --experimental-oci11, and a sigstore
// bundle referrer switches both versions to their bundle verifier, which
// in cosign 2.6 refuses to run without a trusted root (and, offline, TUF
// cannot provide one).
var DefaultFormats = []string{FormatCosignTag}

// ParseFormat reads a format's name as users write it: legacy (or
// cosign), referrer (or cosign-oci-1.1) and bundle (or sigstore-bundle).
func ParseFormat(s string) (string, error) {
	switch s {
	case "legacy", FormatCosignTag:
		return FormatCosignTag, nil
	case "referrer", FormatCosignReferrer:
		return FormatCosignReferrer, nil
	case "bundle", FormatSigstoreBundle:
		return FormatSigstoreBundle, nil
	}
	return "", fmt.Errorf("signature format %q: want legacy (cosign's .sig tag), referrer (cosign's OCI 1.1 referrer) or bundle (a sigstore bundle referrer)", s)
}

// formats is the set of formats opts asks for.
func (opts SignOptions) formats() (map[string]bool, error) {
	fs := opts.Formats
	switch {
	case len(fs) > 0:
	case opts.LegacyOnly:
		fs = []string{FormatCosignTag}
	default:
		fs = []string{FormatCosignTag, FormatSigstoreBundle}
	}
	out := map[string]bool{}
	for _, f := range fs {
		pf, err := ParseFormat(f)
		if err != nil {
			return nil, err
		}
		out[pf] = true
	}
	return out, nil
}

// Signed is what Sign wrote.
type Signed struct {
	Digest digest.Digest
	KeyID  string
	// LegacyTag is cosign's sha256-<hex>.sig tag; Referrer cosign's OCI 1.1
	// signature referrer; Bundle the sigstore bundle referrer's manifest.
	// What was not written is left out.
	LegacyTag string             `json:",omitempty"`
	Referrer  ocispec.Descriptor `json:",omitzero"`
	Bundle    ocispec.Descriptor `json:",omitzero"`
}

// Sign signs the manifest or index d points at with sv, in the formats
// opts asks for.
func Sign(ctx context.Context, reg Registry, d name.Digest, subject ocispec.Descriptor, sv signature.SignerVerifier, opts SignOptions) (*Signed, error) {
	formats, err := opts.formats()
	if err != nil {
		return nil, err
	}
	keyID, err := KeyID(sv)
	if err != nil {
		return nil, err
	}
	dg, err := digest.Parse(d.DigestStr())
	if err != nil {
		return nil, err
	}
	signed := &Signed{Digest: dg, KeyID: keyID}
	if formats[FormatCosignTag] || formats[FormatCosignReferrer] {
		// cosign's simple signing: one payload and signature, stored in
		// the .sig image and/or an OCI 1.1 referrer.
		pl, err := payload.Cosign{Image: d, Annotations: opts.Annotations}.MarshalJSON()
		if err != nil {
			return nil, err
		}
		raw, err := sv.SignMessage(bytes.NewReader(pl))
		if err != nil {
			return nil, fmt.Errorf("signing %s: %w", d, err)
		}
		b64 := base64.StdEncoding.EncodeToString(raw)
		if formats[FormatCosignTag] {
			sig, err := static.NewSignature(pl, b64)
			if err != nil {
				return nil, err
			}
			// Appended to the .sig image: others' signatures there stay.
			signed.LegacyTag, err = reg.attachLegacy(d, "signature", func(se oci.SignedEntity) (oci.SignedEntity, error) {
				return mutate.AttachSignatureToEntity(se, sig)
			}, ociremote.WriteSignatures, ociremote.SignatureTag)
			if err != nil {
				return nil, err
			}
		}
		if formats[FormatCosignReferrer] {
			if signed.Referrer, err = reg.attachCosignReferrer(ctx, subject, pl, b64); err != nil {
				return nil, err
			}
		}
	}
	if !formats[FormatSigstoreBundle] {
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

// attachCosignReferrer attaches a simple-signing payload and its signature
// to subject the way `cosign sign --registry-referrers-mode=oci-1-1` does:
// an image manifest of artifactType application/vnd.dev.cosign.artifact.sig.v1+json
// whose one layer is the payload, the signature in its annotation. It goes
// through mpak's referrer writer rather than cosign's, which prints to
// stderr and does not retry a fallback index that concurrent writers
// overwrite.
func (r Registry) attachCosignReferrer(ctx context.Context, subject ocispec.Descriptor, pl []byte, b64sig string) (ocispec.Descriptor, error) {
	desc, err := referrer.Attach(ctx, r.Referrers, subject, referrer.Artifact{
		ArtifactType: mediatypes.CosignSignature,
		Blobs: []referrer.Blob{{MediaType: mediatypes.CosignSimpleSigning, Data: pl,
			Annotations: map[string]string{static.SignatureAnnotationKey: b64sig}}},
	}, referrer.Options{})
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("writing the OCI 1.1 signature referrer of %s: %w", subject.Digest, err)
	}
	return desc, nil
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
