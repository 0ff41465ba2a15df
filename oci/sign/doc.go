// Package sign signs bundle versions and verifies their signatures the way
// cosign does, so either tool verifies what the other wrote.
//
// A signature is written twice: as cosign's simple-signing image under the
// legacy sha256-<hex>.sig tag (what `cosign verify --key` reads, in every
// cosign version and on every registry), and as a sigstore bundle
// (application/vnd.dev.sigstore.bundle.v0.3+json) attached as an OCI
// referrer: a DSSE envelope over an in-toto statement naming the signed
// digest, the layout cosign v3 writes by default. Verify accepts either,
// and also cosign's OCI 1.1 referrer signatures
// (--registry-referrers-mode=oci-1-1).
//
// Keys are cosign's: an encrypted private key (ENCRYPTED SIGSTORE PRIVATE
// KEY) and a PEM public key. Keyless signing (Fulcio certificates, Rekor
// entries) needs network access to a Sigstore instance and is not
// available offline.
package sign
