package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
)

// Key is a trusted public key.
type Key struct {
	// ID is "sha256:<hex>" of the key's PKIX DER encoding: what sigstore
	// bundles hint and what mpak prints.
	ID     string
	Public crypto.PublicKey
}

// ParseKey reads a PEM public key such as cosign.pub (ECDSA, Ed25519 or
// RSA).
func ParseKey(data []byte) (Key, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return Key{}, errors.New("reading the public key: no PEM block (want a PEM public key such as cosign.pub)")
	}
	if block.Type != "PUBLIC KEY" {
		return Key{}, fmt.Errorf("reading the public key: PEM block %q, want \"PUBLIC KEY\" (a private key or certificate is not a trusted key: pass cosign.pub)", block.Type)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return Key{}, fmt.Errorf("reading the public key: %w", err)
	}
	return NewKey(pub)
}

// NewKey names pub; it must be an ECDSA, Ed25519 or RSA public key.
func NewKey(pub crypto.PublicKey) (Key, error) {
	switch pub.(type) {
	case *ecdsa.PublicKey, ed25519.PublicKey, *rsa.PublicKey:
	default:
		return Key{}, fmt.Errorf("public key of type %T: want ECDSA, Ed25519 or RSA", pub)
	}
	id, err := KeyID(pub)
	if err != nil {
		return Key{}, err
	}
	return Key{ID: id, Public: pub}, nil
}

// KeyID names a public key: "sha256:<hex>" of its PKIX DER encoding.
func KeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("encoding the public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// errBadSignature is returned when a signature does not verify.
var errBadSignature = errors.New("signature does not verify")

// Verify checks sig over message the way sigstore's verifiers for cosign
// keys do: ECDSA (ASN.1) and RSA (PKCS #1 v1.5) over the message's
// SHA-256, Ed25519 over the message itself.
func (k Key) Verify(message, sig []byte) error {
	switch pub := k.Public.(type) {
	case *ecdsa.PublicKey:
		sum := sha256.Sum256(message)
		if ecdsa.VerifyASN1(pub, sum[:], sig) {
			return nil
		}
	case ed25519.PublicKey:
		if ed25519.Verify(pub, message, sig) {
			return nil
		}
	case *rsa.PublicKey:
		sum := sha256.Sum256(message)
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) == nil {
			return nil
		}
	default:
		return fmt.Errorf("public key of type %T: want ECDSA, Ed25519 or RSA", pub)
	}
	return errBadSignature
}
