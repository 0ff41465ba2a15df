// Package benchcli times what users run: whole CLI processes, mpak next to
// its peer in the same run (mpak version vs crane version, a cold
// single-platform mpak bundle pull vs oras pull), alternating which goes
// first in every iteration so that a noisy minute on a shared machine
// falls on both. See BENCHMARKS.md, "the CLI's start-up and cold pull".
//
//	go test ./hack/benchcli/ -run '^$' -bench . -benchtime 40x -count 3
//
// The peers' CLIs are found on PATH or in $GOPATH/bin (.ci/run installs
// them with go install); without them the benchmarks say so and stop.
package benchcli
