// Package verify checks what is attached to a bundle version against
// trusted public keys, with nothing but the standard library's crypto:
// cosign's signatures (behind the legacy sha256-<hex>.sig tag and as OCI
// 1.1 referrers) and statements in sigstore bundles (DSSE).
//
// It is what a trust policy needs before a pull or a run, kept apart from
// package sign (cosign's and sigstore-go's libraries, keyless signing and
// verification) so that the commands on an MCP client's start path do not
// load, link or initialise a signing stack. Key IDs and verdicts agree
// with package sign's: the tests check both against the same signatures,
// and against signatures written by the cosign CLI.
package verify
