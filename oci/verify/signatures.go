package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/claims"
	"github.com/mpak-oci/mpak/oci/referrer"
)

// ErrNotVerified is matched when no signature verifies with a trusted key.
var ErrNotVerified = errors.New("no signature verifies")

// annotationSignature carries the base64 signature of a cosign signature
// layer (the layer is the signed simple-signing payload).
const annotationSignature = "dev.cosignproject.cosign/signature"

// Signature is a signature of a subject that verified.
type Signature struct {
	// Format is where it was found: claims.FormatCosignTag,
	// claims.FormatCosignReferrer or claims.FormatSigstoreBundle.
	Format string
	KeyID  string
	// From is the signature image or sigstore bundle referrer.
	From ocispec.Descriptor
}

// Signatures returns the signatures of subject in t that verify with one
// of keys: cosign's under the legacy tag and as OCI 1.1 referrers (a
// simple-signing payload naming subject's digest), and sigstore bundles
// whose DSSE statement of cosign's signing predicate names it. What does
// not verify is reported in the errors; when nothing verified the error
// matches ErrNotVerified.
func Signatures(ctx context.Context, t Target, subject ocispec.Descriptor, keys []Key, opts Options) ([]Signature, []error, error) {
	if len(keys) == 0 {
		return nil, nil, fmt.Errorf("%w: no trusted key given", ErrNotVerified)
	}
	opts = opts.WithDefaults()
	var (
		out      []Signature
		problems []error
	)
	tag := strings.Replace(subject.Digest.String(), ":", "-", 1) + ".sig"
	if d, err := t.Resolve(ctx, tag); err == nil {
		sigs, errs := cosignImage(ctx, t, d, subject.Digest, keys, opts)
		for _, s := range sigs {
			s.Format = claims.FormatCosignTag
			out = append(out, s)
		}
		problems = append(problems, errs...)
	}
	refs, err := referrer.List(ctx, t, subject, "")
	if err != nil {
		problems = append(problems, err)
	}
	read := 0
	for _, r := range refs {
		switch r.ArtifactType {
		case mediatypes.CosignSignature, mediatypes.SigstoreBundle:
		default:
			continue
		}
		if read++; read > opts.MaxArtifacts {
			problems = append(problems, fmt.Errorf("more than %d signatures attached to %s: the rest are not read", opts.MaxArtifacts, subject.Digest))
			break
		}
		if r.ArtifactType == mediatypes.CosignSignature {
			sigs, errs := cosignImage(ctx, t, r, subject.Digest, keys, opts)
			for _, s := range sigs {
				s.Format = claims.FormatCosignReferrer
				out = append(out, s)
			}
			problems = append(problems, errs...)
			continue
		}
		st, k, err := verifyBundle(ctx, t, r, subject.Digest, keys, opts)
		switch {
		case err != nil:
			problems = append(problems, fmt.Errorf("sigstore bundle %s: %w", r.Digest, err))
		case st.PredicateType == claims.SignPredicate:
			out = append(out, Signature{Format: claims.FormatSigstoreBundle, KeyID: k.ID, From: r})
		}
	}
	if len(out) == 0 {
		ids := make([]string, len(keys))
		for i, k := range keys {
			ids[i] = k.ID
		}
		return nil, problems, fmt.Errorf("%s: %w with key(s) %s: %w", subject.Digest, ErrNotVerified, strings.Join(ids, ", "), errors.Join(problems...))
	}
	return out, problems, nil
}

// simpleSigning is the part of cosign's signed payload that matters: the
// digest the signature is about.
type simpleSigning struct {
	Critical struct {
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
	} `json:"critical"`
}

// cosignImage checks the layers of a cosign signature image: each is a
// simple-signing payload whose signature is in its annotation. A payload
// counts when it verifies with a key and names subject.
func cosignImage(ctx context.Context, t Target, d ocispec.Descriptor, subject digest.Digest, keys []Key, opts Options) ([]Signature, []error) {
	m, err := manifest(ctx, t, d, opts)
	if err != nil {
		return nil, []error{fmt.Errorf("cosign signature %s: %w", d.Digest, err)}
	}
	var (
		out  []Signature
		errs []error
	)
	for i, l := range m.Layers {
		if i >= opts.MaxArtifacts {
			errs = append(errs, fmt.Errorf("cosign signature %s: more than %d layers: the rest are not read", d.Digest, opts.MaxArtifacts))
			break
		}
		if l.MediaType != mediatypes.CosignSimpleSigning {
			continue
		}
		sig, err := decodeBase64(l.Annotations[annotationSignature])
		if err != nil || len(sig) == 0 {
			errs = append(errs, fmt.Errorf("cosign signature %s: layer %s has no signature annotation", d.Digest, l.Digest))
			continue
		}
		payload, err := fetch(ctx, t, l, opts)
		if err != nil {
			errs = append(errs, fmt.Errorf("cosign signature %s: %w", d.Digest, err))
			continue
		}
		k, ok := verifiedBy(keys, payload, sig)
		if !ok {
			errs = append(errs, fmt.Errorf("cosign signature %s: %w with the trusted key(s)", d.Digest, errBadSignature))
			continue
		}
		var p simpleSigning
		if err := json.Unmarshal(payload, &p); err != nil {
			errs = append(errs, fmt.Errorf("cosign signature %s: payload: %w", d.Digest, err))
			continue
		}
		if p.Critical.Image.DockerManifestDigest != subject.String() {
			errs = append(errs, fmt.Errorf("cosign signature %s: signed payload is about %q, not %s", d.Digest, p.Critical.Image.DockerManifestDigest, subject))
			continue
		}
		out = append(out, Signature{KeyID: k.ID, From: d})
	}
	return out, errs
}

func verifiedBy(keys []Key, message, sig []byte) (Key, bool) {
	for _, k := range keys {
		if k.Verify(message, sig) == nil {
			return k, true
		}
	}
	return Key{}, false
}
