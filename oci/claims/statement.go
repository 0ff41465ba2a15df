package claims

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"
)

// Statement and payload types of what is signed.
const (
	StatementType = "https://in-toto.io/Statement/v1"
	PayloadType   = "application/vnd.in-toto+json"
	// SignPredicate marks a plain signature statement, as cosign v3 writes.
	SignPredicate = "https://sigstore.dev/cosign/sign/v1"
)

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

// NewStatement is an in-toto statement about the subjects, as JSON.
func NewStatement(predicateType string, predicate any, subjects ...Subject) ([]byte, error) {
	p, err := json.Marshal(predicate)
	if err != nil {
		return nil, err
	}
	return json.Marshal(Statement{Type: StatementType, Subject: subjects, PredicateType: predicateType, Predicate: p})
}

// SubjectOf names d.
func SubjectOf(name string, d digest.Digest) Subject {
	return Subject{Name: name, Digest: map[string]string{d.Algorithm().String(): d.Encoded()}}
}

// Names reports whether st is about d.
func (st *Statement) Names(d digest.Digest) bool {
	for _, s := range st.Subject {
		if s.Digest[d.Algorithm().String()] == d.Encoded() {
			return true
		}
	}
	return false
}

// Envelope is a DSSE envelope.
type Envelope struct {
	PayloadType string `json:"payloadType"`
	Payload     string `json:"payload"`
	Signatures  []struct {
		KeyID string `json:"keyid"`
		Sig   string `json:"sig"`
	} `json:"signatures"`
}

// OpenEnvelope reads the in-toto statement of a DSSE envelope, unverified.
func OpenEnvelope(data []byte) (*Envelope, *Statement, error) {
	var e Envelope
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, nil, fmt.Errorf("not a DSSE envelope: %w", err)
	}
	if e.PayloadType != PayloadType {
		return nil, nil, fmt.Errorf("DSSE payload type %q, want %s", e.PayloadType, PayloadType)
	}
	payload, err := base64.StdEncoding.DecodeString(e.Payload)
	if err != nil {
		return nil, nil, fmt.Errorf("DSSE payload: %w", err)
	}
	st := &Statement{}
	if err := json.Unmarshal(payload, st); err != nil {
		return nil, nil, fmt.Errorf("DSSE payload is not an in-toto statement: %w", err)
	}
	if st.PredicateType == "" {
		return nil, nil, errors.New("in-toto statement has no predicate type")
	}
	return &e, st, nil
}
