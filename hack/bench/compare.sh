#!/usr/bin/env bash
# Runs the mpak vs oras-go benchmarks in interleaved rounds and puts the
# peers side by side.
#
#   hack/bench/compare.sh [ROUNDS] [BENCH_REGEXP]     # defaults: 5 and "."
#   OUT=dir hack/bench/compare.sh 10 'PullCold/.*/20MB'
#   BENCHTIME=3x hack/bench/compare.sh                # passed to -benchtime
#
# `go test -count N` runs each sub-benchmark N times back to back, so on a
# shared machine a slow minute lands on one peer only. Here every round is
# a process running each benchmark once (-count 1), so rounds alternate
# mpak, oras, mpak, oras..., and every other round runs oras first
# (-bench.reverse) so neither peer always goes second; the fixtures are built in the first round and
# reused (MPAK_BENCH_DIR). The raw output goes to $OUT/raw.txt (default: a
# new temporary directory). benchstat (installed, or fetched through the Go
# module proxy by `go run`) then compares the peers with oras as the
# baseline, so the delta column reads "mpak vs oras".
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=${1:-5}
bench=${2:-.}
out=${OUT:-$(mktemp -d -t mpak-bench-XXXXXX)}
mkdir -p "$out"
work="$out/work"
trap 'rm -rf "$work" "$out/bench.test"' EXIT

go test -c -o "$out/bench.test" ./hack/bench/
{
	echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo -dirty)"
	echo "# nproc $(nproc)  $(go version)  rounds=$rounds benchtime=${BENCHTIME:-1s} TMPDIR=${TMPDIR:-/tmp}"
} >"$out/raw.txt"
for i in $(seq "$rounds"); do
	# Even rounds run oras first, odd rounds mpak first.
	order=()
	((i % 2 == 0)) && order=(-bench.reverse)
	echo "## round $i/$rounds ${order[*]:-}" >&2
	MPAK_BENCH_DIR="$work" "$out/bench.test" -test.run '^$' -test.bench "$bench" -test.benchmem \
		-test.count 1 -test.benchtime "${BENCHTIME:-1s}" -test.timeout 60m "${order[@]}" | tee -a "$out/raw.txt"
done

# BenchmarkPush/mpak/20MB-2 -> BenchmarkPush/20MB-2, one file per peer,
# with the goos/goarch/pkg/cpu header benchstat reads.
for peer in mpak oras; do
	{
		grep -m4 -E '^(goos|goarch|pkg|cpu):' "$out/raw.txt"
		grep -E "^Benchmark[^ ]*/$peer/" "$out/raw.txt" | sed -E "s#/$peer/#/#"
	} >"$out/$peer.txt"
done

if command -v benchstat >/dev/null 2>&1; then
	benchstat=(benchstat)
else
	benchstat=(go run golang.org/x/perf/cmd/benchstat@latest)
fi
echo
echo "== benchstat (baseline oras, delta = mpak vs oras) =="
if ! "${benchstat[@]}" oras="$out/oras.txt" mpak="$out/mpak.txt"; then
	echo "benchstat unavailable; raw results in $out/raw.txt" >&2
fi
echo
echo "raw results: $out/raw.txt"
