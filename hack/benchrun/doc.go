// Package benchrun measures `mpak bundle run`: the warm start (cached
// bundle, until the server answers MCP initialize) side by side with
// exec'ing the same server directly, and the cold start of a 20 MB bundle
// from a loopback registry split into its parts. See BENCHMARKS.md.
package benchrun
