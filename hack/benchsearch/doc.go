// Package benchsearch measures catalog search over HTTP: GET
// /v1/bundles/search served by registry/api over a real loopback TCP
// listener, backed by the SQLite or the PostgreSQL index.Store holding a
// generated catalog of 100k bundle versions (20k repositories × 5
// versions), with a closed-loop load generator in the same test binary.
//
// gen.go generates the catalog deterministically from a seed. The loaded
// fixtures are cached between runs: a SQLite file under os.TempDir and a
// PostgreSQL schema, both named by a key of the generator version, its
// parameters and the stores' migrations (see fixture_test.go).
//
// `go test ./hack/benchsearch/` (what `make test` runs) runs only a quick
// test on a 1k-version catalog; the benchmarks are
//
//	go test ./hack/benchsearch/ -run '^$' -bench 'SearchHTTP$' -benchtime 1x -timeout 60m
//
// sending queries that never repeat within a run (distinct_test.go) to
// mpakd's search engine, with and without the result cache, and to the
// stores' SQL (-benchsearch.modes). ./seed fills a catalog that mpakd
// serves, for load tests with other tools.
//
// with MPAK_TEST_POSTGRES set for the PostgreSQL half. Method and results
// are in BENCHMARKS.md at the repository root.
package benchsearch
