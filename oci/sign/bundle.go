package sign

import (
	"context"
	"encoding/json"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/claims"
	"github.com/mpak-oci/mpak/oci/referrer"
)

// newBundle wraps a signed DSSE envelope into a sigstore bundle.
func newBundle(keyID string, env []byte) ([]byte, error) {
	var b claims.Bundle
	b.MediaType = mediatypes.SigstoreBundle
	b.VerificationMaterial.PublicKey = &claims.PublicKeyHint{Hint: keyID}
	b.VerificationMaterial.TlogEntries = []json.RawMessage{}
	b.DSSEEnvelope = env
	return json.Marshal(b)
}

// attachBundle attaches a sigstore bundle to subject as a referrer, with
// the annotations cosign puts on its own.
func (r Registry) attachBundle(ctx context.Context, subject ocispec.Descriptor, bundle []byte, predicateType string) (ocispec.Descriptor, error) {
	return referrer.Attach(ctx, r.Referrers, subject, referrer.Artifact{
		ArtifactType: mediatypes.SigstoreBundle,
		Blobs:        []referrer.Blob{{MediaType: mediatypes.SigstoreBundle, Data: bundle}},
		Annotations: map[string]string{
			"dev.sigstore.bundle.content":       "dsse-envelope",
			"dev.sigstore.bundle.predicateType": predicateType,
		},
	}, referrer.Options{})
}
