package claims

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
)

// Fulcio's certificate extensions for the OIDC issuer: the first is the
// raw string (deprecated), the second a DER UTF8String.
var (
	oidIssuerV1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
	oidIssuerV2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
)

// identityPEM reads the signer identity of a PEM certificate.
func identityPEM(data []byte) (identity, issuer string, err error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return "", "", errors.New("certificate is not PEM")
	}
	return identityDER(block.Bytes)
}

// identityDER reads a Fulcio certificate's identity (its subject
// alternative name: an email address or a URI such as a CI workflow) and
// the OIDC issuer that vouched for it.
func identityDER(der []byte) (identity, issuer string, err error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return "", "", fmt.Errorf("signing certificate: %w", err)
	}
	switch {
	case len(cert.EmailAddresses) > 0:
		identity = cert.EmailAddresses[0]
	case len(cert.URIs) > 0:
		identity = cert.URIs[0].String()
	case len(cert.DNSNames) > 0:
		identity = cert.DNSNames[0]
	default:
		identity = cert.Subject.String()
	}
	for _, ext := range cert.Extensions {
		switch {
		case ext.Id.Equal(oidIssuerV2):
			var s string
			if _, err := asn1.UnmarshalWithParams(ext.Value, &s, "utf8"); err == nil {
				issuer = s
			}
		case ext.Id.Equal(oidIssuerV1) && issuer == "":
			issuer = string(ext.Value)
		}
	}
	return identity, issuer, nil
}
