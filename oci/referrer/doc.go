// Package referrer attaches artifacts (signatures, attestations, SBOMs,
// scan reports) to a manifest as OCI 1.1 referrers, and lists them.
//
// oras-go's remote.Repository speaks the referrers API where the registry
// has it and otherwise maintains the spec's fallback index under the
// sha256-<hex> tag. That fallback is a read-modify-write of one tag, so
// concurrent attaches to one subject can lose each other's entries. Attach
// serialises attaches to a subject within the process. Across processes,
// after every push it reads the list twice, the second time after a pause
// longer than a writer's read-modify-write, and pushes again (which re-adds
// the entry) with a jittered backoff until its referrer stays listed.
package referrer
