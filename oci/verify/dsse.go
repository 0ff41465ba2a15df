package verify

import (
	"encoding/base64"
	"fmt"

	"github.com/mpak-oci/mpak/oci/claims"
)

// pae is DSSE's pre-authentication encoding: what the signatures of an
// envelope sign.
func pae(payloadType string, payload []byte) []byte {
	return fmt.Appendf(nil, "DSSEv1 %d %s %d %s", len(payloadType), payloadType, len(payload), payload)
}

// decodeBase64 accepts standard and URL-safe base64, as DSSE readers do.
func decodeBase64(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.URLEncoding.DecodeString(s)
}

// verifyEnvelope checks that one of env's signatures verifies with k.
func verifyEnvelope(env *claims.Envelope, k Key) error {
	payload, err := decodeBase64(env.Payload)
	if err != nil {
		return fmt.Errorf("DSSE payload: %w", err)
	}
	msg := pae(env.PayloadType, payload)
	for _, s := range env.Signatures {
		sig, err := decodeBase64(s.Sig)
		if err != nil {
			continue
		}
		if k.Verify(msg, sig) == nil {
			return nil
		}
	}
	return fmt.Errorf("DSSE envelope: %w with key %s", errBadSignature, k.ID)
}
