package claims

// Formats a signature or attestation is stored in.
const (
	FormatCosignTag      = "cosign" // cosign's .sig / .att tag images
	FormatCosignReferrer = "cosign-oci-1.1"
	FormatSigstoreBundle = "sigstore-bundle"
)

// Kinds of what is attached.
const (
	KindSignature   = "signature"
	KindAttestation = "attestation"
)

// Signer is one signature or attestation as it presents itself: who says
// they made it and, for an attestation, what it claims. Nothing here is
// verified.
type Signer struct {
	Kind   string `json:"kind"`
	Format string `json:"format"`
	// KeyID names the key of a key-based signature, when the format
	// records it (a sigstore bundle's hint); empty for cosign's own
	// key-based signatures, which do not say.
	KeyID string `json:"key_id,omitempty"`
	// Identity and Issuer are a keyless signature's certificate subject
	// (an email address or a CI workflow URI) and its OIDC issuer.
	Identity string `json:"identity,omitempty"`
	Issuer   string `json:"issuer,omitempty"`
	// Logged: the signature carries a transparency log entry.
	Logged bool `json:"logged,omitempty"`
	// PredicateType is an attestation's; Provenance is read from it when
	// it is SLSA provenance v1.
	PredicateType string      `json:"predicate_type,omitempty"`
	Provenance    *Provenance `json:"provenance,omitempty"`
}

// Keyless reports whether the signer is a certificate identity.
func (s Signer) Keyless() bool { return s.Identity != "" }

// Claims are what is attached to one digest.
type Claims struct {
	Signers []Signer `json:"signers,omitempty"`
}

// Signed reports whether any signature or attestation is attached.
func (c Claims) Signed() bool { return len(c.Signers) > 0 }

// Provenance is the first SLSA provenance attested, and who attested it.
func (c Claims) Provenance() (*Provenance, Signer) {
	for _, s := range c.Signers {
		if s.Provenance != nil {
			return s.Provenance, s
		}
	}
	return nil, Signer{}
}

// add appends s unless the same signer said the same thing already (a
// signature stored twice in one format, say).
func (c *Claims) add(s Signer) {
	for _, o := range c.Signers {
		if o.Kind == s.Kind && o.Format == s.Format && o.KeyID == s.KeyID && o.Identity == s.Identity &&
			o.Issuer == s.Issuer && o.PredicateType == s.PredicateType && o.Provenance.equal(s.Provenance) {
			return
		}
	}
	c.Signers = append(c.Signers, s)
}
