// Package benchproxy measures pulls of a bundle layer through mpakd's
// --upstream proxy against pulls of the same blob straight from the
// upstream, in the same run, and mpakd's memory while it streams. Both
// registries are real processes (built mpakd binaries): the upstream an
// embedded-mode mpakd (distribution/v3 on disk), the proxy an
// `mpakd serve --upstream` in front of it, so the proxy's RSS is its own.
// See BENCHMARKS.md.
package benchproxy
