package trust

import (
	"context"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mpak-oci/mpak"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/claims"
	"github.com/mpak-oci/mpak/oci/sign"
)

// Attested is what Attest wrote.
type Attested struct {
	*sign.Signed
	Resolved *mpak.Resolved
}

// Attest resolves s once and attaches a signed in-toto statement about that
// version's index (opts' predicate), naming every platform build's bundle
// as a subject, as SLSA provenance does.
func (c *Client) Attest(ctx context.Context, s string, key signature.SignerVerifier, opts sign.AttestOptions) (*Attested, error) {
	r, err := c.Resolve(ctx, s)
	if err != nil {
		return nil, err
	}
	for _, b := range r.Version.Builds {
		art, err := bundle.Fetch(ctx, r.Repository, b)
		if err != nil {
			return nil, err
		}
		opts.Subjects = append(opts.Subjects, claims.Subject{Name: art.FileName(),
			Digest: map[string]string{art.Layer.Digest.Algorithm().String(): art.Layer.Digest.Encoded()}})
	}
	root := r.Version.Root
	reg, d, err := sign.Open(ctx, r.Ref, root.Digest.String(), c.Options().Remote)
	if err != nil {
		return nil, err
	}
	res, err := sign.Attest(ctx, reg, d, root, key, opts)
	if err != nil {
		return nil, err
	}
	return &Attested{Signed: res, Resolved: r}, nil
}
