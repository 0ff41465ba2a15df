package claims_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/claims"
	"github.com/mpak-oci/mpak/oci/referrer"
	"github.com/mpak-oci/mpak/oci/sign"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

type fixture struct {
	host string
	repo *remote.Repository
}

func newFixture(t *testing.T, host string) fixture {
	t.Helper()
	repo, err := remote.NewRepository(host + "/acme/weather")
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	return fixture{host: host, repo: repo}
}

// publish pushes acme/weather@version and returns its root descriptor.
func (f fixture) publish(t *testing.T, version string) ocispec.Descriptor {
	t.Helper()
	plan, err := bundle.Prepare([]bundle.File{{Path: mcpbtest.Pack(t, "weather", version, ""), Platform: mediatypes.AnyPlatform}}, bundle.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Push(context.Background(), f.repo, plan, version, bundle.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	return plan.Index
}

// read lists root's referrers as a catalog does and reads their claims.
func (f fixture) read(t *testing.T, root ocispec.Descriptor, opts claims.Options) (claims.Claims, []error) {
	t.Helper()
	var refs []ocispec.Descriptor
	if err := f.repo.Referrers(context.Background(), root, "", func(r []ocispec.Descriptor) error {
		refs = append(refs, r...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return claims.Read(context.Background(), f.repo, root, refs, opts)
}

func kinds(c claims.Claims) string {
	var out []string
	for _, s := range c.Signers {
		out = append(out, s.Kind+"/"+s.Format)
	}
	return strings.Join(out, ",")
}

// TestReadSigned: what sign.Sign and sign.Attest write reads back as its
// signer's key and its provenance, in every format, on a registry with
// the referrers API and on one with the fallback tag.
func TestReadSigned(t *testing.T) {
	t.Parallel()
	for _, r := range []struct {
		name string
		host func(testing.TB) string
	}{
		{"distribution (fallback tag)", registrytest.Distribution},
		{"ggcr (referrers API)", func(t testing.TB) string { return registrytest.GGCR(t, true) }},
	} {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newFixture(t, r.host(t))
			root := f.publish(t, "1.0.0")
			d, err := name.NewDigest(f.host + "/acme/weather@" + root.Digest.String())
			if err != nil {
				t.Fatal(err)
			}
			keys, _ := sign.GenerateKeyPair([]byte("pw"))
			sv, err := sign.LoadPrivateKey(keys.Private, []byte("pw"))
			if err != nil {
				t.Fatal(err)
			}
			keyID, _ := sign.KeyID(sv)
			reg := sign.Registry{Referrers: f.repo}

			if c, errs := f.read(t, root, claims.Options{}); c.Signed() || len(errs) > 0 {
				t.Fatalf("an unsigned version reads as %s (%v)", kinds(c), errs)
			}
			if _, err := sign.Sign(ctx, reg, d, root, sv, sign.SignOptions{}); err != nil {
				t.Fatal(err)
			}
			prov := claims.Provenance{SourceRepo: "https://git.example/acme/weather", SourceRevision: "0123abcd",
				BuilderID: "https://ci.example/builder", InvocationID: "https://ci.example/runs/7"}
			if _, err := sign.Attest(ctx, reg, d, root, sv, sign.AttestOptions{PredicateType: claims.SLSAProvenance, Predicate: prov.Predicate()}); err != nil {
				t.Fatal(err)
			}

			c, errs := f.read(t, root, claims.Options{})
			if len(errs) > 0 {
				t.Fatalf("errors reading what mpak wrote: %v", errs)
			}
			want := "signature/sigstore-bundle,attestation/sigstore-bundle,signature/cosign,attestation/cosign"
			if got := kinds(c); !sameSet(got, want) {
				t.Fatalf("read %s, want %s", got, want)
			}
			wantProv := prov
			wantProv.BuildType = claims.BuildType
			for _, s := range c.Signers {
				// A sigstore bundle names its key; cosign's tags do not.
				if wantKey := map[string]string{claims.FormatSigstoreBundle: keyID}[s.Format]; s.KeyID != wantKey {
					t.Errorf("%s/%s: key %q, want %q", s.Kind, s.Format, s.KeyID, wantKey)
				}
				if s.Kind == claims.KindAttestation && (s.Provenance == nil || *s.Provenance != wantProv || s.PredicateType != claims.SLSAProvenance) {
					t.Errorf("%s: provenance %+v (%s), want %+v", s.Format, s.Provenance, s.PredicateType, wantProv)
				}
				if s.Keyless() || s.Logged {
					t.Errorf("%s/%s: a key signature made offline reads as keyless or logged", s.Kind, s.Format)
				}
			}
			if p, by := c.Provenance(); p == nil || p.SourceRevision != "0123abcd" || by.Kind != claims.KindAttestation {
				t.Errorf("Provenance() = %+v by %+v", p, by)
			}
		})
	}
}

func sameSet(a, b string) bool {
	as, bs := strings.Split(a, ","), strings.Split(b, ",")
	if len(as) != len(bs) {
		return false
	}
	seen := map[string]int{}
	for _, s := range as {
		seen[s]++
	}
	for _, s := range bs {
		if seen[s]--; seen[s] < 0 {
			return false
		}
	}
	return true
}

// fulcioCert is a certificate shaped like Fulcio's: the identity as a
// subject alternative name and the OIDC issuer in Fulcio's extension (the
// DER UTF8String one, or the deprecated raw one).
func fulcioCert(t *testing.T, email, uri, issuer string, legacyIssuer bool) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{}, NotBefore: time.Now(), NotAfter: time.Now().Add(10 * time.Minute)}
	if email != "" {
		tmpl.EmailAddresses = []string{email}
	}
	if uri != "" {
		u, _ := url.Parse(uri)
		tmpl.URIs = []*url.URL{u}
	}
	ext := pkix.Extension{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}}
	if legacyIssuer {
		ext = pkix.Extension{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}, Value: []byte(issuer)}
	} else if ext.Value, err = asn1.MarshalWithParams(issuer, "utf8"); err != nil {
		t.Fatal(err)
	}
	tmpl.ExtraExtensions = []pkix.Extension{ext}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// keylessBundle is a sigstore bundle as a keyless signer writes it: the
// certificate in the verification material, a DSSE envelope over a
// statement about subject. Its signature is not real: claims are read,
// not verified.
func keylessBundle(t *testing.T, certDER []byte, predicateType string, predicate any, subject digest.Digest) []byte {
	t.Helper()
	st, err := claims.NewStatement(predicateType, predicate, claims.SubjectOf("acme/weather", subject))
	if err != nil {
		t.Fatal(err)
	}
	env, _ := json.Marshal(map[string]any{"payloadType": claims.PayloadType, "payload": base64.StdEncoding.EncodeToString(st),
		"signatures": []map[string]string{{"sig": base64.StdEncoding.EncodeToString([]byte("not checked here"))}}})
	var b claims.Bundle
	b.MediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	b.VerificationMaterial.Certificate = &claims.RawBytes{RawBytes: base64.StdEncoding.EncodeToString(certDER)}
	b.VerificationMaterial.TlogEntries = []json.RawMessage{json.RawMessage(`{"logIndex":"1"}`)}
	b.DSSEEnvelope = env
	out, _ := json.Marshal(b)
	return out
}

func attachBundle(t *testing.T, f fixture, root ocispec.Descriptor, data []byte) {
	t.Helper()
	if _, err := referrer.Attach(context.Background(), f.repo, root, referrer.Artifact{ArtifactType: mediatypes.SigstoreBundle,
		Blobs: []referrer.Blob{{MediaType: mediatypes.SigstoreBundle, Data: data}}}, referrer.Options{}); err != nil {
		t.Fatal(err)
	}
}

// TestReadKeyless: a keyless signer's identity and issuer are read from
// the certificate, in a sigstore bundle and in cosign's legacy .sig image.
func TestReadKeyless(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, registrytest.Distribution(t))
	root := f.publish(t, "1.0.0")

	workflow := "https://github.com/acme/weather/.github/workflows/release.yml@refs/tags/v1.0.0"
	ghIssuer := "https://token.actions.githubusercontent.com"
	prov := json.RawMessage(`{"buildDefinition":{"buildType":"https://actions.github.io/buildtypes/workflow/v1",
		"externalParameters":{"workflow":{"ref":"refs/tags/v1.0.0","repository":"https://github.com/acme/weather","path":".github/workflows/release.yml"}},
		"resolvedDependencies":[{"uri":"git+https://github.com/acme/weather@refs/tags/v1.0.0","digest":{"gitCommit":"c0ffee"}}]},
		"runDetails":{"builder":{"id":"` + workflow + `"},"metadata":{"invocationId":"https://github.com/acme/weather/actions/runs/9/attempts/1"}}}`)
	attachBundle(t, f, root, keylessBundle(t, fulcioCert(t, "", workflow, ghIssuer, false), claims.SLSAProvenance, prov, root.Digest))

	// cosign's legacy keyless signature: the certificate as a PEM
	// annotation on the .sig image's layer.
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: fulcioCert(t, "dev@acme.example", "", "https://accounts.google.com", true)})
	payload := []byte(`{"critical":{"type":"cosign container image signature"}}`)
	layer := ocispec.Descriptor{MediaType: mediatypes.CosignSimpleSigning, Digest: digest.FromBytes(payload), Size: int64(len(payload)),
		Annotations: map[string]string{"dev.cosignproject.cosign/signature": "c2ln", "dev.sigstore.cosign/certificate": string(cert),
			"dev.sigstore.cosign/bundle": `{"SignedEntryTimestamp":"x"}`}}
	if err := f.repo.Push(ctx, layer, bytes.NewReader(payload)); err != nil {
		t.Fatal(err)
	}
	m, err := oras.PackManifest(ctx, f.repo, oras.PackManifestVersion1_0, "application/vnd.oci.image.config.v1+json",
		oras.PackManifestOptions{Layers: []ocispec.Descriptor{layer}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.repo.Tag(ctx, m, strings.Replace(root.Digest.String(), ":", "-", 1)+".sig"); err != nil {
		t.Fatal(err)
	}

	c, errs := f.read(t, root, claims.Options{})
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	if got := kinds(c); !sameSet(got, "attestation/sigstore-bundle,signature/cosign") {
		t.Fatalf("read %s", got)
	}
	for _, s := range c.Signers {
		var wantID, wantIssuer string
		switch s.Format {
		case claims.FormatSigstoreBundle:
			wantID, wantIssuer = workflow, ghIssuer
			want := claims.Provenance{SourceRepo: "https://github.com/acme/weather", SourceRevision: "c0ffee", BuilderID: workflow,
				InvocationID: "https://github.com/acme/weather/actions/runs/9/attempts/1", BuildType: "https://actions.github.io/buildtypes/workflow/v1"}
			if s.Provenance == nil || *s.Provenance != want {
				t.Errorf("GitHub-style provenance read as %+v, want %+v", s.Provenance, want)
			}
		default:
			wantID, wantIssuer = "dev@acme.example", "https://accounts.google.com"
		}
		if s.Identity != wantID || s.Issuer != wantIssuer || !s.Keyless() || !s.Logged || s.KeyID != "" {
			t.Errorf("%s: identity %q issuer %q logged %v key %q, want %q from %q, logged", s.Format, s.Identity, s.Issuer, s.Logged, s.KeyID, wantID, wantIssuer)
		}
	}
}

// TestReadRefuses: a bundle about another digest (replayed onto this one),
// one too large, and one that is not a bundle are left out and reported;
// what else is attached still reads.
func TestReadRefuses(t *testing.T) {
	t.Parallel()
	f := newFixture(t, registrytest.Distribution(t))
	root := f.publish(t, "1.0.0")
	other := f.publish(t, "2.0.0")
	cert := fulcioCert(t, "dev@acme.example", "", "https://accounts.google.com", false)
	attachBundle(t, f, root, keylessBundle(t, cert, claims.SignPredicate, map[string]any{}, other.Digest))
	attachBundle(t, f, root, []byte(`{"mediaType":"text/plain"}`))
	attachBundle(t, f, root, keylessBundle(t, cert, claims.SignPredicate, map[string]any{}, root.Digest))

	c, errs := f.read(t, root, claims.Options{})
	if got := kinds(c); got != "signature/sigstore-bundle" || c.Signers[0].Identity != "dev@acme.example" {
		t.Fatalf("read %s %+v, want only the bundle about this digest", got, c.Signers)
	}
	joined := ""
	for _, e := range errs {
		joined += e.Error() + "\n"
	}
	if len(errs) != 2 || !strings.Contains(joined, "is about "+other.Digest.String()+", not "+root.Digest.String()) ||
		!strings.Contains(joined, `not a sigstore bundle: media type "text/plain"`) {
		t.Errorf("errors do not name the replay and the bad bundle:\n%s", joined)
	}

	c, errs = f.read(t, root, claims.Options{MaxBlob: 64})
	if c.Signed() || len(errs) != 3 || !strings.Contains(errs[0].Error(), "more than the 64 read") {
		t.Errorf("with a 64-byte limit: %s, %v", kinds(c), errs)
	}
}
