// Package bench compares mpak with oras-go moving the same MCP bundles to
// and from a loopback distribution/v3 registry with filesystem storage.
//
// It holds only benchmarks and one quick interoperability test; run the
// benchmarks with `make bench` or hack/bench/compare.sh, and read the
// method and results in BENCHMARKS.md at the repository root.
package bench
