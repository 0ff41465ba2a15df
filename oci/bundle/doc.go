// Package bundle maps MCP bundle versions onto OCI registries and back.
//
// A version is one image index, tagged with its semver version, whose
// entries are one image manifest per platform build. Each manifest's config
// is the bundle's manifest.json verbatim and its single layer is the .mcpb
// file unchanged. Everything is computed locally before the first upload, so
// pushing the same files twice yields the same digests and a published
// version tag is never moved.
//
// The functions work on any oras-go target: a remote repository, an OCI
// layout or a memory store.
package bundle
