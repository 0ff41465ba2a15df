// Package benchproxy measures pulls of a bundle layer through mpakd's
// --upstream proxy against pulls of the same blob straight from the
// upstream, in the same run, and mpakd's memory while it streams. Both
// registries are real processes (built mpakd binaries): the upstream an
// embedded-mode mpakd (distribution/v3 on disk), the proxy an
// `mpakd serve --upstream` in front of it, so the proxy's RSS is its own.
//
// Each pull also records the CPU time it cost the upstream, the proxy and
// the client (this test process), and what the rest of the machine used
// meanwhile, so that a run on a shared machine says whether it was bound
// by CPU and how much of it other work took.
//
// `go test ./hack/benchproxy/` (what `make test` runs) runs only a quick
// test: a 16 MiB bundle, two rounds, every pull's bytes and digest checked
// and every proxied pull counted exactly once. The benchmark is
//
//	go test ./hack/benchproxy/ -run '^$' -bench ProxyPull -benchtime 1x -v
//
// and link.sh runs it with the upstream behind a rate-limited link. Method
// and results are in BENCHMARKS.md at the repository root.
package benchproxy
