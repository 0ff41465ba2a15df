package sign

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/referrer"
)

// Statement and predicate types of what is signed.
const (
	statementType = "https://in-toto.io/Statement/v1"
	payloadType   = "application/vnd.in-toto+json"
	// SignPredicate marks a plain signature statement, as cosign v3 writes.
	SignPredicate = "https://sigstore.dev/cosign/sign/v1"
)

// sigstoreBundle is the part of a sigstore bundle v0.3 (protobuf JSON)
// that key-based signing fills: the key hint and a DSSE envelope. Key
// signatures made offline have no transparency log entries.
type sigstoreBundle struct {
	MediaType            string `json:"mediaType"`
	VerificationMaterial struct {
		PublicKey struct {
			Hint string `json:"hint"`
		} `json:"publicKey"`
		TlogEntries []json.RawMessage `json:"tlogEntries"`
	} `json:"verificationMaterial"`
	DSSEEnvelope json.RawMessage `json:"dsseEnvelope"`
}

// envelope is a DSSE envelope, as sigstore's dsse package writes it.
type envelope struct {
	PayloadType string `json:"payloadType"`
	Payload     string `json:"payload"`
	Signatures  []struct {
		KeyID string `json:"keyid"`
		Sig   string `json:"sig"`
	} `json:"signatures"`
}

// Statement is an in-toto statement v1.
type Statement struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

// Subject is what a statement is about.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// statement is an in-toto statement about the subjects.
func statement(predicateType string, predicate any, subjects ...Subject) ([]byte, error) {
	p, err := json.Marshal(predicate)
	if err != nil {
		return nil, err
	}
	return json.Marshal(Statement{Type: statementType, Subject: subjects, PredicateType: predicateType, Predicate: p})
}

func subjectOf(name string, d digest.Digest) Subject {
	return Subject{Name: name, Digest: map[string]string{d.Algorithm().String(): d.Encoded()}}
}

// newBundle wraps a signed DSSE envelope into a sigstore bundle.
func newBundle(keyID string, env []byte) ([]byte, error) {
	var b sigstoreBundle
	b.MediaType = mediatypes.SigstoreBundle
	b.VerificationMaterial.PublicKey.Hint = keyID
	b.VerificationMaterial.TlogEntries = []json.RawMessage{}
	b.DSSEEnvelope = env
	return json.Marshal(b)
}

// openBundle reads a bundle's envelope and statement, unverified.
func openBundle(data []byte) (hint string, env []byte, st *Statement, err error) {
	var b sigstoreBundle
	if err := json.Unmarshal(data, &b); err != nil {
		return "", nil, nil, fmt.Errorf("not a sigstore bundle: %w", err)
	}
	if len(b.DSSEEnvelope) == 0 {
		return "", nil, nil, errors.New("sigstore bundle has no DSSE envelope (message signatures are not supported)")
	}
	var e envelope
	if err := json.Unmarshal(b.DSSEEnvelope, &e); err != nil {
		return "", nil, nil, fmt.Errorf("sigstore bundle's DSSE envelope: %w", err)
	}
	if e.PayloadType != payloadType {
		return "", nil, nil, fmt.Errorf("DSSE payload type %q, want %s", e.PayloadType, payloadType)
	}
	payload, err := base64.StdEncoding.DecodeString(e.Payload)
	if err != nil {
		return "", nil, nil, fmt.Errorf("DSSE payload: %w", err)
	}
	st = &Statement{}
	if err := json.Unmarshal(payload, st); err != nil {
		return "", nil, nil, fmt.Errorf("DSSE payload is not an in-toto statement: %w", err)
	}
	return b.VerificationMaterial.PublicKey.Hint, b.DSSEEnvelope, st, nil
}

// names reports whether st is about d.
func (st *Statement) names(d digest.Digest) bool {
	for _, s := range st.Subject {
		if s.Digest[d.Algorithm().String()] == d.Encoded() {
			return true
		}
	}
	return false
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
