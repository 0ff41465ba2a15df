package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	orasremote "oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/claims"
	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/oci/referrer"
	"github.com/mpak-oci/mpak/oci/sign"
	"github.com/mpak-oci/mpak/oci/verify"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/server"
	"github.com/mpak-oci/mpak/scan"
	"github.com/mpak-oci/mpak/scanlevel"
)

// embeddedMpakdWith serves an embedded-mode mpakd with opts (its store, data
// dir and logger filled in) on loopback and returns its address.
func embeddedMpakdWith(t *testing.T, opts server.Options) string {
	t.Helper()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	opts.DataDir, opts.Store, opts.Logger = t.TempDir(), store, slog.New(slog.DiscardHandler)
	s, err := server.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return ln.Addr().String()
}

// publish pushes name@version to repository at host and returns the
// repository and the version's root descriptor.
func publish(t *testing.T, host, repository, name, version string) (*orasremote.Repository, ocispec.Descriptor) {
	t.Helper()
	plan, err := bundle.Prepare([]bundle.File{{Path: mcpbtest.Pack(t, name, version, ""), Platform: mediatypes.AnyPlatform}}, bundle.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := ref.Parse(host+"/"+repository, ref.Defaults{})
	repo, err := connect.Options{}.Repository(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Push(context.Background(), repo, plan, version, bundle.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	return repo, plan.Index
}

// attach pushes an artifact of artifactType with annotations and one
// small layer, referring to subject (when not nil), tagged tag (when set).
func attach(t *testing.T, repo *orasremote.Repository, subject *ocispec.Descriptor, artifactType, layerType, tag string, annotations map[string]string) {
	t.Helper()
	ctx := context.Background()
	data := []byte(artifactType + " payload")
	layer := content.NewDescriptorFromBytes(layerType, data)
	if err := repo.Push(ctx, layer, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	version := oras.PackManifestVersion1_1
	if subject == nil {
		// A legacy, tag-attached image such as cosign's .sig: an image
		// manifest whose config type is artifactType.
		version = oras.PackManifestVersion1_0
	}
	desc, err := oras.PackManifest(ctx, repo, version, artifactType, oras.PackManifestOptions{
		Subject: subject, Layers: []ocispec.Descriptor{layer}, ManifestAnnotations: annotations,
	})
	if err != nil {
		t.Fatal(err)
	}
	if tag != "" {
		if err := repo.Tag(ctx, desc, tag); err != nil {
			t.Fatal(err)
		}
	}
}

// signAndAttest signs root with a new key and attests prov, as mpak bundle
// sign and attest do, and returns the key's ID.
func signAndAttest(t *testing.T, host string, repo *orasremote.Repository, root ocispec.Descriptor, prov claims.Provenance) string {
	t.Helper()
	ctx := context.Background()
	keys, err := sign.GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	sv, err := sign.LoadPrivateKey(keys.Private, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := ref.Parse(host+"/"+repo.Reference.Repository, ref.Defaults{})
	reg, d, err := sign.Open(ctx, r, root.Digest.String(), connect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sign.Sign(ctx, reg, d, root, sv, sign.SignOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := sign.Attest(ctx, reg, d, root, sv, sign.AttestOptions{PredicateType: claims.SLSAProvenance, Predicate: prov.Predicate()}); err != nil {
		t.Fatal(err)
	}
	keyID, _ := sign.KeyID(sv)
	return keyID
}

func search(t *testing.T, c *catalogapi.Client, q catalogapi.Query) []string {
	t.Helper()
	res, err := c.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range res.Bundles {
		names = append(names, b.Repository)
	}
	return names
}

// TestTrustSignalsFromReferrers: a scan verdict signed by a scanner mpakd
// trusts sets the version's level (an unsigned report is only a claim),
// and a signature (a sigstore bundle referrer, or
// cosign's legacy .sig tag) marks it signed, in the API and the search
// filters, as soon as the attaching push returns.
func TestTrustSignalsFromReferrers(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	scannerKeys, _ := sign.GenerateKeyPair(nil)
	scanner, _ := sign.LoadPrivateKey(scannerKeys.Private, nil)
	scannerPub, _ := verify.ParseKey(scannerKeys.Public)
	host := embeddedMpakdWith(t, server.Options{TrustedScanners: []verify.Key{scannerPub}})
	c := &catalogapi.Client{BaseURL: "http://" + host}
	weather, wRoot := publish(t, host, "acme/weather", "weather", "1.0.0")
	clock, cRoot := publish(t, host, "acme/clock", "clock", "1.0.0")
	plain, pRoot := publish(t, host, "acme/plain", "plain", "1.0.0")

	if got := search(t, c, catalogapi.Query{Signed: true}); len(got) != 0 {
		t.Fatalf("signed bundles before any signature: %v", got)
	}
	// Unsigned scan reports, the newer saying L3: claims, not the level.
	attach(t, weather, &wRoot, mediatypes.Scan, mediatypes.Scan, "", map[string]string{
		mediatypes.AnnotationScanLevel: "1", ocispec.AnnotationCreated: "2026-11-01T00:00:00Z"})
	if _, err := referrer.Attach(context.Background(), weather, wRoot, referrer.Artifact{ArtifactType: mediatypes.Scan,
		Blobs:       []referrer.Blob{{MediaType: mediatypes.Scan, Data: []byte(`{"level":3,"controls":[{"id":"L3.dangerous-code","status":"pass"},{"id":"L4.reproducible","status":"skip"}]}`)}},
		Annotations: map[string]string{mediatypes.AnnotationScanLevel: "3", ocispec.AnnotationCreated: "2026-11-20T00:00:00Z"}}, referrer.Options{}); err != nil {
		t.Fatal(err)
	}
	// mpak signs weather and attests its provenance (sigstore bundle
	// referrers and cosign's tags); a cosign-style signature image under
	// the legacy tag signs clock; plain gets a bundle referrer that is not
	// a signature at all, which signs nothing.
	keyID := signAndAttest(t, host, weather, wRoot, claims.Provenance{SourceRepo: "https://git.example/acme/weather",
		SourceRevision: "0123abcd", BuilderID: "https://ci.example/builder"})
	legacy := "sha256-" + strings.TrimPrefix(cRoot.Digest.String(), "sha256:") + ".sig"
	attach(t, clock, nil, ocispec.MediaTypeImageConfig, mediatypes.CosignSimpleSigning, legacy, nil)
	attach(t, plain, &pRoot, mediatypes.SigstoreBundle, mediatypes.SigstoreBundle, "", nil)

	v, err := c.Version(context.Background(), "acme/weather", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if v.Level != 0 || v.LevelVerified || v.ClaimedLevel != 3 || !v.Signed {
		t.Errorf("acme/weather with unsigned reports: level %d (verified %v, claimed %d), signed %v; want L0 claiming L3, signed",
			v.Level, v.LevelVerified, v.ClaimedLevel, v.Signed)
	}
	if got := search(t, c, catalogapi.Query{MinLevel: 1}); len(got) != 0 {
		t.Errorf("min_level=1 with only unsigned reports: %v, want none", got)
	}
	var report struct {
		Controls []struct{ ID, Status string } `json:"controls"`
	}
	if err := json.Unmarshal(v.Scan, &report); err != nil || len(report.Controls) != 2 || report.Controls[1].ID != "L4.reproducible" {
		t.Errorf("acme/weather's scan report in the API: %s (%v), want the newest unverified report's controls", v.Scan, err)
	}
	// The trusted scanner signs L2: that is the level.
	if _, err := scan.AttachVerdict(context.Background(), weather, wRoot, host+"/acme/weather",
		scanlevel.Predicate{Level: 2, Rules: 2, Scanner: "test", Created: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}, scanner); err != nil {
		t.Fatal(err)
	}
	if v, err = c.Version(context.Background(), "acme/weather", "1.0.0"); err != nil {
		t.Fatal(err)
	}
	if v.Level != 2 || !v.LevelVerified || v.ClaimedLevel != 3 || !v.Signed {
		t.Errorf("acme/weather with a trusted verdict: level %d (verified %v, claimed %d), signed %v; want verified L2, still signed",
			v.Level, v.LevelVerified, v.ClaimedLevel, v.Signed)
	}
	if v.Provenance == nil {
		t.Fatal("acme/weather: no provenance in the API")
	}
	p, by := v.Provenance.Provenance()
	if p == nil || p.SourceRepo != "https://git.example/acme/weather" || p.SourceRevision != "0123abcd" || by.KeyID != keyID {
		t.Errorf("acme/weather's provenance: %+v attested by %+v, want the source at 0123abcd by %s", p, by, keyID)
	}
	if n := len(v.Provenance.Signers); n != 4 { // the scanner's verdict is no publisher's signature
		t.Errorf("acme/weather: %d signers %+v, want the signature and the attestation in two formats each", n, v.Provenance.Signers)
	}
	if len(v.Scan) != 0 {
		t.Errorf("acme/weather's scan report in the API: %s; want none: the trusted verdict names no report, and an unsigned one is not shown as its evidence", v.Scan)
	}
	if got := strings.Join(search(t, c, catalogapi.Query{Signed: true, Sort: "name"}), ","); got != "acme/clock,acme/weather" {
		t.Errorf("signed=true: %s, want acme/clock,acme/weather", got)
	}
	if got := strings.Join(search(t, c, catalogapi.Query{MinLevel: 2}), ","); got != "acme/weather" {
		t.Errorf("min_level=2: %s, want acme/weather", got)
	}
	if v, err := c.Version(context.Background(), "acme/plain", "1.0.0"); err != nil || v.Signed || v.Level != 0 || v.Provenance != nil {
		t.Errorf("acme/plain: %+v, %v; want unsigned at level 0: its bundle referrer is no signature", v, err)
	}
	if v, err := c.Version(context.Background(), "acme/clock", "1.0.0"); err != nil || v.Provenance == nil ||
		len(v.Provenance.Signers) != 1 || v.Provenance.Signers[0].Format != claims.FormatCosignTag {
		t.Errorf("acme/clock: %+v, %v; want its cosign signature", v.Provenance, err)
	}
}
