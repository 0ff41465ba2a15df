package sign

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// KeyPair is a cosign key pair: the private key encrypted with a password
// (PEM "ENCRYPTED SIGSTORE PRIVATE KEY"), the public key in PEM.
type KeyPair struct {
	Private, Public []byte
}

// GenerateKeyPair makes a new ECDSA P-256 key pair in cosign's format,
// the private key encrypted with password.
func GenerateKeyPair(password []byte) (*KeyPair, error) {
	kb, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) { return password, nil })
	if err != nil {
		return nil, fmt.Errorf("generating a key pair: %w", err)
	}
	return &KeyPair{Private: kb.PrivateBytes, Public: kb.PublicBytes}, nil
}

// LoadPrivateKey decrypts a cosign private key.
func LoadPrivateKey(pem, password []byte) (signature.SignerVerifier, error) {
	sv, err := cosign.LoadPrivateKey(pem, password, nil)
	if err != nil {
		return nil, fmt.Errorf("loading the private key: %w (a cosign.key needs the password it was created with, from COSIGN_PASSWORD)", err)
	}
	return sv, nil
}

// LoadPublicKey reads a PEM public key (cosign.pub).
func LoadPublicKey(pem []byte) (signature.Verifier, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pem)
	if err != nil {
		return nil, fmt.Errorf("reading the public key: %w (want a PEM public key such as cosign.pub)", err)
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("loading the public key: %w", err)
	}
	return v, nil
}

// KeyID names a public key: the sha256 of its DER encoding, hex, as
// "sha256:<hex>". It is what the sigstore bundle's key hint and Verify's
// results carry.
func KeyID(v signature.Verifier) (string, error) {
	pub, err := v.PublicKey()
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}
