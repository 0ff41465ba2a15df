package trust_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak"
	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/oci/sign"
	"github.com/mpak-oci/mpak/oci/verify"
	"github.com/mpak-oci/mpak/policy"
	"github.com/mpak-oci/mpak/registry/registrytest"
	"github.com/mpak-oci/mpak/scan"
	"github.com/mpak-oci/mpak/scanlevel"
	"github.com/mpak-oci/mpak/trust"
)

var ctx = context.Background()

func client(t *testing.T, host string, pol *policy.Policy) *trust.Client {
	t.Helper()
	d, err := ref.ParseDefaults(host)
	if err != nil {
		t.Fatal(err)
	}
	c := mpak.New(mpak.Options{Defaults: d, Policy: pol})
	file := mcpbtest.Pack(t, "weather", "1.0.0", "")
	if _, err := c.Push(ctx, "@acme/weather", []bundle.File{{Path: file, Platform: mediatypes.AnyPlatform}}, mpak.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	return trust.New(c)
}

func keys(t *testing.T) (*sign.KeyPair, verify.Key) {
	t.Helper()
	kp, err := sign.GenerateKeyPair(nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := verify.ParseKey(kp.Public)
	if err != nil {
		t.Fatal(err)
	}
	return kp, k
}

// TestSignVerify: what Sign writes, Verify reads with the key, and a
// stranger's key is told the version is signed by someone else.
func TestSignVerify(t *testing.T) {
	t.Parallel()
	c := client(t, registrytest.Distribution(t), nil)
	kp, _ := keys(t)
	sv, _ := sign.LoadPrivateKey(kp.Private, nil)
	pub, _ := sign.LoadPublicKey(kp.Public)
	if _, err := c.Verify(ctx, "@acme/weather", trust.VerifyOptions{Key: pub}); !errors.Is(err, sign.ErrNotVerified) ||
		!strings.Contains(err.Error(), "not signed") {
		t.Errorf("verify before signing: %v, want ErrNotVerified saying it is not signed", err)
	}
	s, err := c.Sign(ctx, "@acme/weather@1.0.0", trust.SignOptions{Key: sv, Platforms: true})
	if err != nil || len(s.Signed) != 2 {
		t.Fatalf("sign with --platforms: %+v, %v; want the index and its one manifest", s, err)
	}
	v, err := c.Verify(ctx, "@acme/weather", trust.VerifyOptions{Key: pub, Platforms: true})
	if err != nil || len(v.Results) < 2 || v.Resolved.Version.Root.Digest != s.Resolved.Version.Root.Digest {
		t.Errorf("verify: %+v, %v", v, err)
	}
	other, _ := keys(t)
	otherPub, _ := sign.LoadPublicKey(other.Public)
	if _, err := c.Verify(ctx, "@acme/weather", trust.VerifyOptions{Key: otherPub}); !errors.Is(err, sign.ErrNotVerified) ||
		!strings.Contains(err.Error(), "not with this key") {
		t.Errorf("verify with a stranger's key: %v", err)
	}
	if _, err := c.Verify(ctx, "@acme/weather", trust.VerifyOptions{}); err == nil {
		t.Error("verify against nothing passed")
	}
}

// TestScanAttachSigned: a scan attached with a signer makes a verified
// level for readers trusting the signer, is not stopped by a policy asking
// for a level, and is remembered by that policy.
func TestScanAttachSigned(t *testing.T) {
	t.Parallel()
	kp, scanner := keys(t)
	pol := &policy.Policy{MinLevel: 1, ScannerKeys: []verify.Key{scanner}, MemoDir: t.TempDir()}
	c := client(t, registrytest.Distribution(t), pol)
	sv, _ := sign.LoadPrivateKey(kp.Private, nil)
	res, err := c.Scan(ctx, "@acme/weather@1.0.0", trust.ScanOptions{Options: scan.Options{MaxLevel: 1}, Attach: true, Signer: sv})
	if err != nil {
		t.Fatal(err)
	}
	if res.Attached == nil || res.Attached.Statement == nil {
		t.Fatalf("attached %+v, want a signed verdict", res.Attached)
	}
	v, err := scanlevel.Decide(ctx, res.Resolved.Repository, res.Resolved.Version.Root, []verify.Key{scanner})
	if err != nil || !v.Verified() || v.Level != res.Report.Level {
		t.Errorf("verdict read back: %+v, %v; want verified L%d", v, err, res.Report.Level)
	}
	// The fixture has an undescribed tool, so it stays at L0: the policy
	// asking for L1 refuses it, offline, from what the scan left.
	if res.Report.Level != 0 {
		t.Fatalf("fixture scanned L%d, want L0 (a tool without a description)", res.Report.Level)
	}
	if err := pol.Check(ctx, res.Resolved.Ref, res.Resolved.Version.Root.Digest, true); !errors.Is(err, policy.ErrRefused) {
		t.Errorf("a policy asking for L1 of an L0 version: %v, want ErrRefused", err)
	}
	d := res.Resolved.Version.Root.Digest
	memo, err := os.ReadFile(filepath.Join(pol.MemoDir, d.Algorithm().String()+"-"+d.Encoded()+".json"))
	if err != nil || !strings.Contains(string(memo), `"local_level":0`) {
		t.Errorf("the policy's memo of the scan: %s, %v; want the level scanned here", memo, err)
	}
}
