// Package claims reads what the signatures and attestations attached to a
// bundle version say — who signed it, from which source it was built, by
// which builder — without verifying them.
//
// Verifying needs trust roots (a publisher's key, Sigstore's root) that a
// catalog does not hold; oci/sign verifies. A catalog shows claims, marked
// as such, with the command that checks them. The formats read are the
// ones oci/sign writes and cosign writes: sigstore bundles (v0.1–v0.3, DSSE
// or message signature) attached as referrers, cosign's OCI 1.1 referrer
// signatures, and cosign's legacy sha256-<hex>.sig and .att tag images.
//
// The package is small on purpose: it depends on the standard library and
// oras-go only, so a server can link it without sigstore's libraries.
package claims
