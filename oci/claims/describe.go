package claims

import "strings"

// Describe says who a signer presents itself as, for messages:
// "signature (cosign)", "attestation (sigstore-bundle) by key sha256:…",
// "signature (sigstore-bundle) by alice@example.com via https://issuer".
// Nothing in it is verified.
func (s Signer) Describe() string {
	out := s.Kind + " (" + s.Format + ")"
	switch {
	case s.Keyless():
		out += " by " + s.Identity + " via " + s.Issuer
	case s.KeyID != "":
		out += " by key " + s.KeyID
	}
	return out
}

// Describe says where a provenance says the bundle was built from and by
// whom, naming what it leaves out rather than printing empty fields (an
// attestation made without a source read "source @").
func (p *Provenance) Describe() string {
	var b strings.Builder
	switch {
	case p.SourceRepo == "" && p.SourceRevision == "":
		b.WriteString("no source stated")
	case p.SourceRepo == "":
		b.WriteString("source revision " + p.SourceRevision + " of an unstated repository")
	case p.SourceRevision == "":
		b.WriteString("source " + p.SourceRepo + " (no revision stated)")
	default:
		b.WriteString("source " + p.SourceRepo + "@" + p.SourceRevision)
	}
	if p.BuilderID == "" {
		b.WriteString(", builder not stated")
	} else {
		b.WriteString(", builder " + p.BuilderID)
	}
	return b.String()
}
