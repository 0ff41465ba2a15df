package mpak

import (
	"context"
	"errors"
	"fmt"

	"github.com/mpak-oci/mpak/oci/verify"
)

// SignatureCheck is what VerifySignatures found about a version.
type SignatureCheck struct {
	Resolved *Resolved
	// Signatures verified with a key the policy trusts.
	Signatures []verify.Signature
	// Problems are signatures found that did not verify, and why.
	Problems []error
	// Refusal is why the policy refuses the version; nil when it allows it.
	Refusal error
}

// VerifySignatures resolves s once and checks its signatures against the
// keys the policy trusts (standard-library crypto, no signing stack),
// then asks the policy itself about the same digest. Only the policy's
// keys count: the caller cannot add one here.
func (c *Client) VerifySignatures(ctx context.Context, s string) (*SignatureCheck, error) {
	var keys []verify.Key
	if c.opts.Policy != nil {
		keys = c.opts.Policy.Keys
	}
	if len(keys) == 0 {
		return nil, errors.New("no trusted keys in your policy: add cosign public keys to policy.keys in mpak's config file")
	}
	r, err := c.Resolve(ctx, s)
	if err != nil {
		return nil, err
	}
	out := &SignatureCheck{Resolved: r}
	sigs, problems, err := verify.Signatures(ctx, r.Repository, r.Version.Root, keys, verify.Options{})
	if err != nil && !errors.Is(err, verify.ErrNotVerified) {
		return nil, fmt.Errorf("verifying %s: %w", r.Name(), err)
	}
	out.Signatures, out.Problems = sigs, problems
	out.Refusal = c.Check(ctx, r)
	return out, nil
}
