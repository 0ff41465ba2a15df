package claims

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Bundle is the part of a sigstore bundle (protobuf JSON, v0.1 to v0.3)
// that says who signed and what: the verification material and either a
// DSSE envelope or a message signature.
type Bundle struct {
	MediaType            string `json:"mediaType"`
	VerificationMaterial struct {
		PublicKey            *PublicKeyHint    `json:"publicKey,omitempty"`
		Certificate          *RawBytes         `json:"certificate,omitempty"`
		X509CertificateChain *CertChain        `json:"x509CertificateChain,omitempty"`
		TlogEntries          []json.RawMessage `json:"tlogEntries"`
	} `json:"verificationMaterial"`
	DSSEEnvelope     json.RawMessage `json:"dsseEnvelope,omitempty"`
	MessageSignature json.RawMessage `json:"messageSignature,omitempty"`
}

// PublicKeyHint names the key of a key-based signature.
type PublicKeyHint struct {
	Hint string `json:"hint"`
}

// RawBytes is protobuf JSON's base64 of DER bytes.
type RawBytes struct {
	RawBytes string `json:"rawBytes"`
}

// CertChain is a bundle's certificate chain, leaf first.
type CertChain struct {
	Certificates []RawBytes `json:"certificates"`
}

// OpenBundle reads a sigstore bundle, unverified. A DSSE bundle yields its
// envelope and statement; a message-signature bundle yields neither.
func OpenBundle(data []byte) (*Bundle, *Envelope, *Statement, error) {
	var b Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, nil, nil, fmt.Errorf("not a sigstore bundle: %w", err)
	}
	if !strings.HasPrefix(b.MediaType, "application/vnd.dev.sigstore.bundle") {
		return nil, nil, nil, fmt.Errorf("not a sigstore bundle: media type %q", b.MediaType)
	}
	if len(b.DSSEEnvelope) == 0 {
		if len(b.MessageSignature) == 0 {
			return nil, nil, nil, errors.New("sigstore bundle has neither a DSSE envelope nor a message signature")
		}
		return &b, nil, nil, nil
	}
	env, st, err := OpenEnvelope(b.DSSEEnvelope)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("sigstore bundle: %w", err)
	}
	return &b, env, st, nil
}

// Signer is who the bundle says signed it: the key hint, or the identity
// in its leaf certificate.
func (b *Bundle) Signer() (Signer, error) {
	s := Signer{Format: FormatSigstoreBundle, Logged: len(b.VerificationMaterial.TlogEntries) > 0}
	vm := b.VerificationMaterial
	if vm.PublicKey != nil {
		s.KeyID = keyID(vm.PublicKey.Hint)
	}
	var leaf string
	switch {
	case vm.Certificate != nil:
		leaf = vm.Certificate.RawBytes
	case vm.X509CertificateChain != nil && len(vm.X509CertificateChain.Certificates) > 0:
		leaf = vm.X509CertificateChain.Certificates[0].RawBytes
	}
	if leaf != "" {
		der, err := base64.StdEncoding.DecodeString(leaf)
		if err != nil {
			return s, fmt.Errorf("sigstore bundle certificate: %w", err)
		}
		if s.Identity, s.Issuer, err = identityDER(der); err != nil {
			return s, err
		}
	}
	return s, nil
}

// keyID writes a key hint the way mpak names keys, sha256:<hex> of the
// public key's DER: cosign v3 writes the same digest in base64.
func keyID(hint string) string {
	if sum, err := base64.StdEncoding.DecodeString(hint); err == nil && len(sum) == 32 {
		return "sha256:" + hex.EncodeToString(sum)
	}
	return hint
}
