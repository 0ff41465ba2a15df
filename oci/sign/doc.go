// Package sign signs bundle versions and verifies their signatures the way
// cosign does, so either tool verifies what the other wrote.
//
// A signature can be written in three formats: cosign's simple-signing
// image under the legacy sha256-<hex>.sig tag, the same payload as cosign's
// OCI 1.1 referrer signature (--registry-referrers-mode=oci-1-1), and a
// sigstore bundle (application/vnd.dev.sigstore.bundle.v0.3+json) attached
// as an OCI referrer: a DSSE envelope over an in-toto statement naming the
// signed digest, the layout cosign v3 writes by default. Verify accepts all
// three.
//
// Which ones are attached decides what the cosign CLI does. A plain
// `cosign verify --key` reads the .sig tag, offline too, in cosign 2.6 and
// 3, but only while the digest has no sigstore bundle referrer: once it
// has one, from anyone and of any predicate, both versions verify the
// bundles alone, and cosign 2.6 also demands a trusted root. Hence
// DefaultFormats.
//
// Keys are cosign's: an encrypted private key (ENCRYPTED SIGSTORE PRIVATE
// KEY) and a PEM public key. Keyless signing (Fulcio certificates, Rekor
// entries) needs network access to a Sigstore instance and is not
// available offline.
package sign
