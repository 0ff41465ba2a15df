package claims

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/mpak-oci/mpak/mediatypes"
)

// Annotations cosign puts on the layers of its signature and attestation
// images.
const (
	annotationCertificate = "dev.sigstore.cosign/certificate"
	annotationRekorBundle = "dev.sigstore.cosign/bundle"
)

// Source is the repository claims are read from: oras-go's
// registry.Repository is one.
type Source interface {
	content.Fetcher
	Resolve(ctx context.Context, reference string) (ocispec.Descriptor, error)
}

// Options bound what Read fetches. The zero value is ready to use.
type Options struct {
	// MaxBlob is the largest manifest or blob read (default 1 MiB): a
	// signature is a few kilobytes.
	MaxBlob int64
	// MaxArtifacts is how many referrers are read at most (default 32).
	MaxArtifacts int
}

// WithDefaults fills in the bounds left zero.
func (o Options) WithDefaults() Options {
	if o.MaxBlob <= 0 {
		o.MaxBlob = 1 << 20
	}
	if o.MaxArtifacts <= 0 {
		o.MaxArtifacts = 32
	}
	return o
}

// Read reads the claims about root: the referrers given (as listed by the
// caller, from the referrers API or its fallback tag) and cosign's legacy
// .sig and .att tags. What cannot be read, or is about another digest, is
// left out and reported in the errors; the claims read stand.
func Read(ctx context.Context, src Source, root ocispec.Descriptor, referrers []ocispec.Descriptor, opts Options) (Claims, []error) {
	opts = opts.WithDefaults()
	r := reader{src: src, root: root, opts: opts}
	read := 0
	for _, d := range referrers {
		switch d.ArtifactType {
		case mediatypes.SigstoreBundle, mediatypes.CosignSignature:
		default:
			continue
		}
		if d.Annotations["dev.sigstore.bundle.predicateType"] == mediatypes.ScanPredicate {
			continue // a scanner's verdict (scanlevel), not the publisher's claim
		}
		if read++; read > opts.MaxArtifacts {
			r.fail(fmt.Errorf("more than %d signatures attached to %s: the rest are not read", opts.MaxArtifacts, root.Digest))
			break
		}
		if d.ArtifactType == mediatypes.SigstoreBundle {
			if s, err := r.bundle(ctx, d); err != nil {
				r.fail(fmt.Errorf("sigstore bundle %s: %w", d.Digest, err))
			} else {
				r.claims.add(s)
			}
		} else {
			r.image(ctx, d, KindSignature, FormatCosignReferrer)
		}
	}
	tag := strings.Replace(root.Digest.String(), ":", "-", 1)
	for _, legacy := range []struct{ suffix, kind string }{{".sig", KindSignature}, {".att", KindAttestation}} {
		d, err := src.Resolve(ctx, tag+legacy.suffix)
		if err != nil {
			continue // no such tag: the common case
		}
		r.image(ctx, d, legacy.kind, FormatCosignTag)
	}
	return r.claims, r.errs
}

type reader struct {
	src    Source
	root   ocispec.Descriptor
	opts   Options
	claims Claims
	errs   []error
}

func (r *reader) fail(err error) { r.errs = append(r.errs, err) }

func (r *reader) fetch(ctx context.Context, d ocispec.Descriptor) ([]byte, error) {
	if d.Size > r.opts.MaxBlob {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d read", d.Digest, d.Size, r.opts.MaxBlob)
	}
	return content.FetchAll(ctx, r.src, d)
}

func (r *reader) manifest(ctx context.Context, d ocispec.Descriptor) (*ocispec.Manifest, error) {
	b, err := r.fetch(ctx, d)
	if err != nil {
		return nil, err
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s is not an image manifest: %w", d.Digest, err)
	}
	if len(m.Layers) == 0 {
		return nil, fmt.Errorf("%s has no layer", d.Digest)
	}
	return &m, nil
}

// bundle reads a sigstore bundle referrer.
func (r *reader) bundle(ctx context.Context, d ocispec.Descriptor) (Signer, error) {
	m, err := r.manifest(ctx, d)
	if err != nil {
		return Signer{}, err
	}
	data, err := r.fetch(ctx, m.Layers[0])
	if err != nil {
		return Signer{}, err
	}
	b, _, st, err := OpenBundle(data)
	if err != nil {
		return Signer{}, err
	}
	s, err := b.Signer()
	if err != nil {
		return Signer{}, err
	}
	return s, r.statement(&s, st)
}

// statement fills in what a signed statement says; a statement about
// another digest is refused (a signature replayed onto this one).
func (r *reader) statement(s *Signer, st *Statement) error {
	s.Kind = KindSignature
	if st == nil {
		return nil // a message signature: over the digest itself
	}
	if !st.Names(r.root.Digest) {
		return fmt.Errorf("its statement is about %s, not %s", subjectDigests(st), r.root.Digest)
	}
	if st.PredicateType == SignPredicate {
		return nil
	}
	s.Kind, s.PredicateType = KindAttestation, st.PredicateType
	if st.PredicateType == SLSAProvenance {
		s.Provenance = ParseProvenance(st.Predicate)
	}
	return nil
}

// image reads cosign's signature or attestation image: one layer per
// signature, a certificate annotation on keyless ones; an attestation
// layer is a DSSE envelope.
func (r *reader) image(ctx context.Context, d ocispec.Descriptor, kind, format string) {
	m, err := r.manifest(ctx, d)
	if err != nil {
		r.fail(fmt.Errorf("cosign %s %s: %w", kind, d.Digest, err))
		return
	}
	for i, l := range m.Layers {
		if i >= r.opts.MaxArtifacts {
			r.fail(fmt.Errorf("cosign %s %s: more than %d layers: the rest are not read", kind, d.Digest, r.opts.MaxArtifacts))
			return
		}
		s := Signer{Kind: kind, Format: format, Logged: l.Annotations[annotationRekorBundle] != ""}
		if cert := l.Annotations[annotationCertificate]; cert != "" {
			if s.Identity, s.Issuer, err = identityPEM([]byte(cert)); err != nil {
				r.fail(fmt.Errorf("cosign %s %s: %w", kind, d.Digest, err))
				continue
			}
		}
		if kind == KindAttestation {
			data, err := r.fetch(ctx, l)
			if err == nil {
				var st *Statement
				if _, st, err = OpenEnvelope(data); err == nil {
					err = r.statement(&s, st)
				}
			}
			if err != nil {
				r.fail(fmt.Errorf("cosign attestation %s: %w", d.Digest, err))
				continue
			}
		}
		r.claims.add(s)
	}
}

func subjectDigests(st *Statement) string {
	var out []string
	for _, s := range st.Subject {
		for alg, hex := range s.Digest {
			out = append(out, alg+":"+hex)
		}
	}
	if len(out) == 0 {
		return "nothing"
	}
	return strings.Join(out, ", ")
}
