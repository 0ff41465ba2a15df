package trust

import (
	"context"
	"errors"
	"fmt"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mpak-oci/mpak"
	"github.com/mpak-oci/mpak/oci/claims"
	"github.com/mpak-oci/mpak/oci/sign"
)

// VerifyOptions say what to verify against: Key, or the keyless
// Identity.
type VerifyOptions struct {
	Key      signature.Verifier
	Identity *sign.Identity
	// Platforms requires a valid signature on each platform manifest too
	// (key signatures).
	Platforms bool
}

// Verified is what verified, and why the rest did not.
type Verified struct {
	Resolved *mpak.Resolved
	Results  []sign.Result
	Problems []string
}

// Verify resolves s once and checks what is attached to that version. The
// error matches sign.ErrNotVerified when a target has nothing that
// verifies; it then says whether the version is signed at all, and by
// whom, so that a wrong key reads differently from no signature.
func (c *Client) Verify(ctx context.Context, s string, opts VerifyOptions) (*Verified, error) {
	if (opts.Key == nil) == (opts.Identity == nil) {
		return nil, errors.New("nothing to verify against: pass --key cosign.pub, or --identity and --issuer for keyless signatures")
	}
	r, err := c.Resolve(ctx, s)
	if err != nil {
		return nil, err
	}
	out := &Verified{Resolved: r, Results: []sign.Result{}}
	if opts.Identity != nil {
		reg, d, err := sign.Open(ctx, r.Ref, r.Version.Root.Digest.String(), c.Options().Remote)
		if err != nil {
			return nil, err
		}
		if out.Results, err = sign.VerifyKeyless(ctx, reg, d, *opts.Identity); err != nil {
			return out, err
		}
		return out, nil
	}
	keyID, _ := sign.KeyID(opts.Key)
	var failed error
	for _, t := range targets(r, opts.Platforms) {
		reg, d, err := sign.Open(ctx, r.Ref, t.Digest.String(), c.Options().Remote)
		if err != nil {
			return nil, err
		}
		res, problems, err := sign.Verify(ctx, reg, d, t, opts.Key)
		out.Results = append(out.Results, res...)
		for _, p := range problems {
			out.Problems = append(out.Problems, p.Error())
		}
		if err != nil && failed == nil {
			failed = c.notVerified(ctx, r, t, keyID, err)
		}
	}
	return out, failed
}

// notVerified says why nothing attached to t verified with the key: when
// something is attached, that it is signed, by whom it says, and that the
// key is not theirs (cosign's own words, "no matching signatures" with an
// empty reason for attestations, read as if there were none); when nothing
// is, that it is unsigned. The details stay in Problems.
func (c *Client) notVerified(ctx context.Context, r *mpak.Resolved, t ocispec.Descriptor, key string, err error) error {
	if !errors.Is(err, sign.ErrNotVerified) {
		return err
	}
	var refs []ocispec.Descriptor
	if rerr := r.Repository.Referrers(ctx, t, "", func(rs []ocispec.Descriptor) error {
		refs = append(refs, rs...)
		return nil
	}); rerr != nil {
		return err
	}
	cl, _ := claims.Read(ctx, r.Repository, t, refs, claims.Options{})
	where := r.Ref.RepositoryRef() + "@" + t.Digest.String()
	if !cl.Signed() {
		return fmt.Errorf("%s: %w with key %s: nothing is attached to it, it is not signed (sign it with mpak bundle sign)", where, sign.ErrNotVerified, key)
	}
	var found []string
	ours := false
	for _, s := range cl.Signers {
		found = append(found, s.Describe())
		ours = ours || s.KeyID == key
	}
	if ours {
		return err // signed with this key, yet it does not verify: the details say why
	}
	return fmt.Errorf("%s: %w with key %s: it is signed, but not with this key: found %s; verify with the public key of whoever signed it",
		where, sign.ErrNotVerified, key, strings.Join(found, ", "))
}
