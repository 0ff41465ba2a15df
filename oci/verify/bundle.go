package verify

import (
	"context"
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mpak-oci/mpak/oci/claims"
	"github.com/mpak-oci/mpak/oci/referrer"
)

// Statement is a signed in-toto statement about a subject whose
// signature verified.
type Statement struct {
	KeyID     string
	Statement *claims.Statement
	// Bundle is the referrer it came from.
	Bundle ocispec.Descriptor
}

// Statements returns the statements of predicateType attached to subject
// as referrers of artifactType (a sigstore bundle each) that verify with
// one of keys and name the subject. Bundles that do not verify are left
// out (they are someone's claim, not a trusted one); their problems are
// returned for the curious.
func Statements(ctx context.Context, t Source, subject ocispec.Descriptor, artifactType, predicateType string, keys []Key, opts Options) ([]Statement, []error, error) {
	if len(keys) == 0 {
		return nil, nil, nil
	}
	opts = opts.WithDefaults()
	bundles, err := referrer.List(ctx, t, subject, artifactType)
	if err != nil {
		return nil, nil, err
	}
	var (
		out      []Statement
		problems []error
	)
	for i, b := range bundles {
		if i >= opts.MaxArtifacts {
			problems = append(problems, fmt.Errorf("more than %d %s referrers of %s: the rest are not read", opts.MaxArtifacts, artifactType, subject.Digest))
			break
		}
		// The annotation only saves fetching bundles of other kinds; what
		// counts is the verified statement's own predicate type.
		if pt, ok := b.Annotations["dev.sigstore.bundle.predicateType"]; ok && pt != predicateType {
			continue
		}
		st, k, err := verifyBundle(ctx, t, b, subject.Digest, keys, opts)
		if err != nil {
			problems = append(problems, fmt.Errorf("sigstore bundle %s: %w", b.Digest, err))
			continue
		}
		if st.PredicateType == predicateType {
			out = append(out, Statement{KeyID: k.ID, Statement: st, Bundle: b})
		}
	}
	return out, problems, nil
}

// verifyBundle fetches a sigstore bundle referrer and checks its DSSE
// envelope against keys and its statement against d; it returns the
// statement and the key that verified it.
func verifyBundle(ctx context.Context, t Source, desc ocispec.Descriptor, d digest.Digest, keys []Key, opts Options) (*claims.Statement, Key, error) {
	m, err := manifest(ctx, t, desc, opts)
	if err != nil {
		return nil, Key{}, err
	}
	if len(m.Layers) == 0 {
		return nil, Key{}, errors.New("no layer")
	}
	data, err := fetch(ctx, t, m.Layers[0], opts)
	if err != nil {
		return nil, Key{}, err
	}
	_, env, st, err := claims.OpenBundle(data)
	if err != nil {
		return nil, Key{}, err
	}
	if env == nil {
		return nil, Key{}, errors.New("sigstore bundle has no DSSE envelope (message signatures are not supported)")
	}
	var errs []error
	for _, k := range keys {
		if err := verifyEnvelope(env, k); err != nil {
			errs = append(errs, err)
			continue
		}
		// Checked after the signature: an unsigned statement's subject
		// says nothing.
		if !st.Names(d) {
			return nil, Key{}, fmt.Errorf("signed statement is about %v, not %s", st.Subject, d)
		}
		return st, k, nil
	}
	return nil, Key{}, errors.Join(errs...)
}
