package policy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/oci/sign"
	"github.com/mpak-oci/mpak/oci/verify"
	"github.com/mpak-oci/mpak/policy"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// TestRememberedVerdicts: a version checked online is allowed offline from
// the memo; one never checked is refused offline; a refusal is not
// remembered as an allowance.
func TestRememberedVerdicts(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	ctx := context.Background()
	host := registrytest.Distribution(t)
	repo, _ := remote.NewRepository(host + "/acme/weather")
	repo.PlainHTTP = true
	keys, _ := sign.GenerateKeyPair(nil)
	sv, _ := sign.LoadPrivateKey(keys.Private, nil)
	pub, _ := verify.ParseKey(keys.Public)
	r, _ := ref.Parse(host+"/acme/weather", ref.Defaults{})

	var roots []*bundle.Plan
	for _, v := range []string{"1.0.0", "2.0.0"} {
		plan, err := bundle.Prepare([]bundle.File{{Path: mcpbtest.Pack(t, "weather", v, ""), Platform: mediatypes.AnyPlatform}}, bundle.PrepareOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bundle.Push(ctx, repo, plan, v, bundle.PushOptions{}); err != nil {
			t.Fatal(err)
		}
		roots = append(roots, plan)
	}
	signed, unsigned := roots[0].Index, roots[1].Index
	d, _ := name.NewDigest(host + "/acme/weather@" + signed.Digest.String())
	if _, err := sign.Sign(ctx, sign.Registry{Referrers: repo}, d, signed, sv, sign.SignOptions{}); err != nil {
		t.Fatal(err)
	}

	p := &policy.Policy{RequireSignature: true, Keys: []verify.Key{pub}, MemoDir: t.TempDir()}
	if err := p.Check(ctx, r, signed.Digest, false); !errors.Is(err, policy.ErrRefused) {
		t.Fatalf("offline, never checked: %v, want a refusal", err)
	}
	if err := p.Check(ctx, r, signed.Digest, true); err != nil {
		t.Fatalf("online, signed: %v", err)
	}
	if err := p.Check(ctx, r, signed.Digest, false); err != nil {
		t.Errorf("offline after an online check: %v, want it allowed from the memo", err)
	}
	if err := p.Check(ctx, r, unsigned.Digest, true); !errors.Is(err, policy.ErrRefused) {
		t.Fatalf("online, unsigned: %v, want a refusal", err)
	}
	if err := p.Check(ctx, r, unsigned.Digest, false); !errors.Is(err, policy.ErrRefused) {
		t.Errorf("offline after a refusal: %v, want a refusal", err)
	}
	// Another trusted key does not inherit the memo's verdict.
	other, _ := sign.GenerateKeyPair(nil)
	otherPub, _ := verify.ParseKey(other.Public)
	strict := &policy.Policy{RequireSignature: true, Keys: []verify.Key{otherPub}, MemoDir: p.MemoDir}
	if err := strict.Check(ctx, r, signed.Digest, false); !errors.Is(err, policy.ErrRefused) {
		t.Errorf("offline with a key the memo does not vouch for: %v, want a refusal", err)
	}
	if (&policy.Policy{}).Active() || (*policy.Policy)(nil).Active() {
		t.Error("an empty policy is active")
	}
}
