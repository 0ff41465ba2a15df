package claims

import "testing"

func TestProvenanceDescribe(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		p    Provenance
		want string
	}{
		{Provenance{SourceRepo: "https://git.example/a", SourceRevision: "c0ffee", BuilderID: "https://ci.example/b"},
			"source https://git.example/a@c0ffee, builder https://ci.example/b"},
		{Provenance{BuilderID: "https://ci.example/b"}, "no source stated, builder https://ci.example/b"},
		{Provenance{SourceRepo: "https://git.example/a"}, "source https://git.example/a (no revision stated), builder not stated"},
		{Provenance{SourceRevision: "c0ffee"}, "source revision c0ffee of an unstated repository, builder not stated"},
	} {
		if got := c.p.Describe(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.p, got, c.want)
		}
	}
}

func TestSignerDescribe(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		s    Signer
		want string
	}{
		{Signer{Kind: KindSignature, Format: FormatCosignTag}, "signature (cosign)"},
		{Signer{Kind: KindAttestation, Format: FormatSigstoreBundle, KeyID: "sha256:ab"}, "attestation (sigstore-bundle) by key sha256:ab"},
		{Signer{Kind: KindSignature, Format: FormatSigstoreBundle, Identity: "a@example.com", Issuer: "https://issuer"},
			"signature (sigstore-bundle) by a@example.com via https://issuer"},
	} {
		if got := c.s.Describe(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.s, got, c.want)
		}
	}
}
