package verify_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/signature"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle/bundletest"
	"github.com/mpak-oci/mpak/oci/claims"
	"github.com/mpak-oci/mpak/oci/sign"
	"github.com/mpak-oci/mpak/oci/verify"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

func publish(t *testing.T, repo *remote.Repository, version string) ocispec.Descriptor {
	t.Helper()
	return bundletest.Publish(t, repo, "weather", version, "")
}

func repository(t *testing.T, host string) *remote.Repository {
	t.Helper()
	repo, err := remote.NewRepository(host + "/acme/weather")
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	return repo
}

// signer is a key of each kind cosign keys come in, as sigstore's
// library loads it (what package sign signs with) and as verify reads
// its PEM public key.
type signer struct {
	name string
	sv   signature.SignerVerifier
	key  verify.Key
}

func signers(t *testing.T) []signer {
	t.Helper()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rs, _ := rsa.GenerateKey(rand.Reader, 2048)
	var out []signer
	for _, k := range []struct {
		name string
		priv crypto.Signer
	}{{"ecdsa-p256", ec}, {"ed25519", ed}, {"rsa-2048", rs}} {
		sv, err := signature.LoadSignerVerifier(k.priv, crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKIXPublicKey(k.priv.Public())
		if err != nil {
			t.Fatal(err)
		}
		key, err := verify.ParseKey(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
		if err != nil {
			t.Fatal(err)
		}
		id, err := sign.KeyID(sv)
		if err != nil {
			t.Fatal(err)
		}
		if key.ID != id {
			t.Fatalf("%s: key ID %s, package sign says %s", k.name, key.ID, id)
		}
		out = append(out, signer{k.name, sv, key})
	}
	return out
}

func formatsOf(sigs []verify.Signature) string {
	var out []string
	for _, s := range sigs {
		out = append(out, s.Format)
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

// TestSignatures signs with package sign (cosign's libraries) in every
// format and checks that verify agrees, key by key, on both ways a
// registry lists referrers.
func TestSignatures(t *testing.T) {
	for _, r := range []struct {
		name  string
		start func(testing.TB) string
	}{
		{"fallback-tag", registrytest.Distribution},
		{"referrers-api", func(t testing.TB) string { return registrytest.GGCR(t, true) }},
	} {
		t.Run(r.name, func(t *testing.T) {
			ctx := context.Background()
			host := r.start(t)
			repo := repository(t, host)
			ks := signers(t)
			all := []verify.Key{ks[0].key, ks[1].key, ks[2].key}
			for i, s := range ks {
				root := publish(t, repo, "1.0."+string(rune('0'+i)))
				if _, _, err := verify.Signatures(ctx, repo, root, all, verify.Options{}); !errors.Is(err, verify.ErrNotVerified) {
					t.Fatalf("%s: before signing: %v, want ErrNotVerified", s.name, err)
				}
				d, err := name.NewDigest(host + "/acme/weather@" + root.Digest.String())
				if err != nil {
					t.Fatal(err)
				}
				reg := sign.Registry{Referrers: repo}
				if _, err := sign.Sign(ctx, reg, d, root, s.sv, sign.SignOptions{Formats: []string{"legacy", "referrer", "bundle"}}); err != nil {
					t.Fatal(err)
				}
				sigs, _, err := verify.Signatures(ctx, repo, root, all, verify.Options{})
				if err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				want := strings.Join([]string{claims.FormatCosignTag, claims.FormatCosignReferrer, claims.FormatSigstoreBundle}, ",")
				if got := formatsOf(sigs); got != want {
					t.Errorf("%s: verified %s, want %s", s.name, got, want)
				}
				for _, sig := range sigs {
					if sig.KeyID != s.key.ID {
						t.Errorf("%s: %s verified with %s, want %s", s.name, sig.Format, sig.KeyID, s.key.ID)
					}
				}
				// package sign agrees on what verifies with this key.
				pub, _ := s.sv.PublicKey()
				v, _ := signature.LoadVerifier(pub, crypto.SHA256)
				res, _, err := sign.Verify(ctx, reg, d, root, v)
				if err != nil || len(res) == 0 {
					t.Errorf("%s: package sign verifies %d: %v", s.name, len(res), err)
				}
				// The other keys verify nothing, and say why.
				others := slices.DeleteFunc(slices.Clone(all), func(k verify.Key) bool { return k.ID == s.key.ID })
				_, problems, err := verify.Signatures(ctx, repo, root, others, verify.Options{})
				if !errors.Is(err, verify.ErrNotVerified) || len(problems) == 0 {
					t.Errorf("%s: with the other keys: %v (%d problems), want ErrNotVerified with reasons", s.name, err, len(problems))
				}
			}
		})
	}
}

// TestReplayedSignature copies version 1's signature image under version
// 2's .sig tag: it verifies with the key, but names another digest.
func TestReplayedSignature(t *testing.T) {
	ctx := context.Background()
	host := registrytest.Distribution(t)
	repo := repository(t, host)
	s := signers(t)[0]
	v1, v2 := publish(t, repo, "1.0.0"), publish(t, repo, "2.0.0")
	d, _ := name.NewDigest(host + "/acme/weather@" + v1.Digest.String())
	if _, err := sign.Sign(ctx, sign.Registry{Referrers: repo}, d, v1, s.sv, sign.SignOptions{}); err != nil {
		t.Fatal(err)
	}
	sig, err := repo.Resolve(ctx, "sha256-"+v1.Digest.Encoded()+".sig")
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Tag(ctx, sig, "sha256-"+v2.Digest.Encoded()+".sig"); err != nil {
		t.Fatal(err)
	}
	_, problems, err := verify.Signatures(ctx, repo, v2, []verify.Key{s.key}, verify.Options{})
	if !errors.Is(err, verify.ErrNotVerified) || !strings.Contains(errors.Join(problems...).Error(), "is about") {
		t.Errorf("replayed signature: %v, problems %v; want ErrNotVerified naming the other digest", err, problems)
	}
	if _, _, err := verify.Signatures(ctx, repo, v1, []verify.Key{s.key}, verify.Options{}); err != nil {
		t.Errorf("the original still verifies: %v", err)
	}
}

// TestStatements attaches signed statements of two kinds and a
// stranger's: only the trusted key's statement of the asked predicate
// type counts.
func TestStatements(t *testing.T) {
	ctx := context.Background()
	host := registrytest.GGCR(t, true)
	repo := repository(t, host)
	ks := signers(t)
	root := publish(t, repo, "1.0.0")
	const artifactType = mediatypes.ScanVerdict
	for i, p := range []struct {
		signer        int
		predicateType string
	}{{0, "https://example.com/a"}, {0, "https://example.com/b"}, {1, "https://example.com/a"}} {
		if _, err := sign.AttachStatement(ctx, repo, root, p.predicateType, map[string]int{"n": i}, ks[p.signer].sv,
			sign.StatementOptions{Name: host + "/acme/weather", ArtifactType: artifactType}); err != nil {
			t.Fatal(err)
		}
	}
	got, problems, err := verify.Statements(ctx, repo, root, artifactType, "https://example.com/a", []verify.Key{ks[0].key}, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].KeyID != ks[0].key.ID || string(got[0].Statement.Predicate) != `{"n":0}` {
		t.Errorf("statements %+v, want the one of predicate a signed by the trusted key", got)
	}
	if len(problems) != 1 {
		t.Errorf("problems %v, want one: the stranger's bundle", problems)
	}
	if got, _, _ := verify.Statements(ctx, repo, root, artifactType, "https://example.com/a", nil, verify.Options{}); len(got) != 0 {
		t.Errorf("no trusted key: %d statements", len(got))
	}
}

func TestParseKey(t *testing.T) {
	for _, bad := range []string{"not a key", "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"} {
		if _, err := verify.ParseKey([]byte(bad)); err == nil || !strings.Contains(err.Error(), "cosign.pub") {
			t.Errorf("ParseKey(%q): %v, want an error naming cosign.pub", bad, err)
		}
	}
}
