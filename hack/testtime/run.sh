#!/usr/bin/env bash
# Wall time of the test suite (what `make test` runs) with the tests marked
# t.Parallel run one at a time (-parallel 1, as before they were marked)
# and as go test schedules them by default (-parallel GOMAXPROCS).
# Packages run side by side in both (-p defaults to GOMAXPROCS): only the
# tests inside a package differ. Test binaries are compiled first, so that
# neither mode pays for the build. Run it on a quiet machine:
#
#   hack/testtime/run.sh [rounds]   # default 1; alternates the modes
#
# It needs what `make test` needs (MPAK_TEST_POSTGRES, Chromium, ...).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-1}
go test -race -count=1 -run '^$' ./... >/dev/null
for r in $(seq 1 "$rounds"); do
  for mode in "-parallel 1" ""; do
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    if ! go test -race -count=1 -timeout 30m $mode ./... >/tmp/testtime.$$.log 2>&1; then
      echo "round $r ${mode:-default}: tests failed, see /tmp/testtime.$$.log" >&2
      exit 1
    fi
    end=$(date +%s.%N)
    awk -v r="$r" -v m="${mode:-default}" -v s="$start" -v e="$end" 'BEGIN { printf "round %d  %-12s %6.1f s\n", r, m, e - s }'
  done
done
rm -f /tmp/testtime.$$.log
