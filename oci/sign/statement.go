package sign

import (
	"context"
	"errors"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/claims"
	"github.com/mpak-oci/mpak/oci/referrer"
)

// StatementOptions tune Attest.
type StatementOptions struct {
	// Name is the subject's repository (host/repo), recorded in the
	// statement the way cosign records it.
	Name string
	// ArtifactType types the referrer (default: a sigstore bundle's). A
	// statement that is not the publisher's signature should have its own,
	// so that cosign, which verifies only sigstore bundles once it finds
	// one, keeps verifying the publisher's signature.
	ArtifactType string
}

// AttachStatement signs an in-toto statement about subject (predicateType,
// predicate) into a sigstore bundle and attaches it to subject as a
// referrer. Unlike Sign and Attestation it needs nothing but the
// repository's OCI API: no cosign tag images are written. This is how a
// scanner vouches for the report it made.
func AttachStatement(ctx context.Context, repo referrer.Target, subject ocispec.Descriptor, predicateType string, predicate any,
	sv signature.SignerVerifier, opts StatementOptions) (ocispec.Descriptor, error) {
	keyID, err := KeyID(sv)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	st, err := claims.NewStatement(predicateType, predicate, claims.SubjectOf(opts.Name, subject.Digest))
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	b, err := signBundle(sv, keyID, st)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if opts.ArtifactType == "" || opts.ArtifactType == mediatypes.SigstoreBundle {
		return Registry{Referrers: repo}.attachBundle(ctx, subject, b, predicateType)
	}
	// Typed as its own kind all through (artifact, layer, annotations):
	// cosign picks sigstore bundles by any of them.
	return referrer.Attach(ctx, repo, subject, referrer.Artifact{
		ArtifactType: opts.ArtifactType,
		Blobs:        []referrer.Blob{{MediaType: opts.ArtifactType, Data: b}},
		Annotations:  map[string]string{"dev.mpak.statement.predicateType": predicateType},
	}, referrer.Options{})
}

// Statement is a statement about a subject whose signature verified.
type Statement struct {
	KeyID     string
	Statement *claims.Statement
	// Bundle is the referrer it came from.
	Bundle ocispec.Descriptor
}

// VerifyStatements returns the statements of predicateType attached to
// subject as referrers of artifactType (a sigstore bundle each) that verify with one of keys and name the
// subject. Bundles that do not verify are left out (they are someone's
// claim, not a trusted one); their problems are returned for the curious.
func VerifyStatements(ctx context.Context, repo referrer.Target, subject ocispec.Descriptor, artifactType, predicateType string,
	keys []signature.Verifier) ([]Statement, []error, error) {
	if len(keys) == 0 {
		return nil, nil, nil
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		id, err := KeyID(k)
		if err != nil {
			return nil, nil, err
		}
		ids[i] = id
	}
	bundles, err := referrer.List(ctx, repo, subject, artifactType)
	if err != nil {
		return nil, nil, err
	}
	var (
		out      []Statement
		problems []error
	)
	for _, b := range bundles {
		// The annotation only saves fetching bundles of other kinds; what
		// counts is the verified statement's own predicate type.
		if pt, ok := b.Annotations["dev.sigstore.bundle.predicateType"]; ok && pt != predicateType {
			continue
		}
		var errs []error
		for i, k := range keys {
			r, err := verifyBundle(ctx, repo, b, subject.Digest, k, ids[i])
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if r.Statement.PredicateType != predicateType {
				break
			}
			out = append(out, Statement{KeyID: ids[i], Statement: r.Statement, Bundle: b})
			errs = nil
			break
		}
		if len(errs) > 0 {
			problems = append(problems, fmt.Errorf("sigstore bundle %s: %w", b.Digest, errors.Join(errs...)))
		}
	}
	return out, problems, nil
}
