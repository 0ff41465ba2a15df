package scanlevel_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/signature"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle/bundletest"
	"github.com/mpak-oci/mpak/oci/referrer"
	"github.com/mpak-oci/mpak/oci/sign"
	"github.com/mpak-oci/mpak/oci/verify"
	"github.com/mpak-oci/mpak/registry/registrytest"
	"github.com/mpak-oci/mpak/scan"
	"github.com/mpak-oci/mpak/scanlevel"
)

func push(t *testing.T, repo *remote.Repository, version string) ocispec.Descriptor {
	t.Helper()
	return bundletest.Publish(t, repo, "weather", version, "")
}

func key(t *testing.T) (signature.SignerVerifier, verify.Key) {
	t.Helper()
	kp, err := sign.GenerateKeyPair(nil)
	if err != nil {
		t.Fatal(err)
	}
	sv, _ := sign.LoadPrivateKey(kp.Private, nil)
	pub, err := verify.ParseKey(kp.Public)
	if err != nil {
		t.Fatal(err)
	}
	return sv, pub
}

// TestDecide: forged, replayed and untrusted verdicts do not count, and
// the newest rule set wins over the newest date.
func TestDecide(t *testing.T) {
	ctx := context.Background()
	host := registrytest.Distribution(t)
	repo, _ := remote.NewRepository(host + "/acme/weather")
	repo.PlainHTTP = true
	root, other := push(t, repo, "1.0.0"), push(t, repo, "2.0.0")
	scanner, scannerPub := key(t)
	stranger, _ := key(t)
	trusted := []verify.Key{scannerPub}
	name := host + "/acme/weather"
	at := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339, s); return tm }

	// An unsigned report claiming L4, dated far in the future.
	if _, err := referrer.Attach(ctx, repo, root, referrer.Artifact{ArtifactType: mediatypes.Scan,
		Blobs:       []referrer.Blob{{MediaType: mediatypes.Scan, Data: []byte(`{}`)}},
		Annotations: map[string]string{mediatypes.AnnotationScanLevel: "4", ocispec.AnnotationCreated: "9999-12-31T23:59:59Z"}},
		referrer.Options{}); err != nil {
		t.Fatal(err)
	}
	v, err := scanlevel.Decide(ctx, repo, root, trusted)
	if err != nil || v.Verified() || v.Level != 0 || v.Claimed != 4 {
		t.Fatalf("forged report only: %+v, %v; want unverified L0 claiming L4", v, err)
	}

	// A stranger's signed L4 is no more trusted than an unsigned one.
	if _, err := scan.AttachVerdict(ctx, repo, root, name, scanlevel.Predicate{Level: 4, Rules: 9, Created: at("2026-12-01T00:00:00Z")}, stranger); err != nil {
		t.Fatal(err)
	}
	// The trusted scanner: L3 under rules 1 dated in the far future, then
	// L1 under rules 2 dated today. Rules 2 wins.
	if _, err := scan.AttachVerdict(ctx, repo, root, name, scanlevel.Predicate{Level: 3, Rules: 1, Created: at("9999-01-01T00:00:00Z")}, scanner); err != nil {
		t.Fatal(err)
	}
	if _, err := scan.AttachVerdict(ctx, repo, root, name, scanlevel.Predicate{Level: 1, Rules: 2, Created: at("2026-12-04T00:00:00Z")}, scanner); err != nil {
		t.Fatal(err)
	}
	v, err = scanlevel.Decide(ctx, repo, root, trusted)
	if err != nil || !v.Verified() || v.Level != 1 || v.Trusted.Predicate.Rules != 2 || len(v.Findings) != 2 {
		t.Fatalf("verdict %+v, %v; want L1 from rules 2 out of 2 trusted findings", v, err)
	}

	// A trusted L4 verdict about version 2.0.0, replayed onto 1.0.0: its
	// statement names another digest.
	d, err := scan.AttachVerdict(ctx, repo, other, name, scanlevel.Predicate{Level: 4, Rules: 3, Created: at("2026-12-04T00:00:00Z")}, scanner)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := content.FetchAll(ctx, repo, d)
	if err != nil {
		t.Fatal(err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		t.Fatal(err)
	}
	blob, err := content.FetchAll(ctx, repo, m.Layers[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := referrer.Attach(ctx, repo, root, referrer.Artifact{ArtifactType: mediatypes.ScanVerdict,
		Blobs:       []referrer.Blob{{MediaType: mediatypes.SigstoreBundle, Data: blob}},
		Annotations: map[string]string{"dev.sigstore.bundle.predicateType": mediatypes.ScanPredicate}}, referrer.Options{}); err != nil {
		t.Fatal(err)
	}
	v, err = scanlevel.Decide(ctx, repo, root, trusted)
	if err != nil || v.Level != 1 {
		t.Errorf("after a replayed L4 verdict: %+v, %v; want still L1", v, err)
	}
	if v, err := scanlevel.Decide(ctx, repo, other, trusted); err != nil || v.Level != 4 {
		t.Errorf("2.0.0: %+v, %v; want its own L4", v, err)
	}
	if v, err := scanlevel.Decide(ctx, repo, root, nil); err != nil || v.Verified() {
		t.Errorf("trusting no key: %+v, %v; want unverified", v, err)
	}
}
