#!/usr/bin/env bash
# Builds the Go vulnerability database that `make lint` gives govulncheck
# (-db file://DIR), offline: vuln.go.dev cannot be reached from our machines,
# the Go module proxy can.
#
#   hack/vulndb.sh VULNDB_VERSION OUT_DIR
#
# How: the module golang.org/x/vulndb, at a pinned version, holds the Go
# team's OSV entries (data/osv/GO-*.json), the data vuln.go.dev serves. We
# fetch it from the module proxy (`go mod download`), then lay out a v1
# database (https://go.dev/security/vuln/database#api: index/db.json,
# index/modules.json, index/vulns.json, ID/<id>.json, each also .gz) with the
# vulndb module's own tool for that, cmd/indexdb, built at the same version.
#
# One difference from vuln.go.dev: the OSV files in the module have zero
# "modified"/"published" times (the deploy sets them from git history, which a
# module zip does not carry), so index/db.json would say the database dates
# from year 1. We stamp it with the vulndb commit's time instead, so that
# govulncheck's "DB updated" line tells how old the data really is. Matching
# does not use these times.
#
# The result is checked (one ID/<id>.json per OSV entry, a non-empty module
# index) and moved into place only when complete; OUT_DIR existing means a
# good database of that version is there. About 40 MB; on a machine whose
# module cache is cold, building indexdb downloads its dependencies (a few
# minutes), after that the database takes seconds.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 VULNDB_VERSION OUT_DIR" >&2
  exit 2
fi
version=$1
out=$2
go=${GO:-go}

if [ -s "$out/index/modules.json" ]; then
  exit 0
fi

# Built beside OUT_DIR, so that the final mv is a rename.
mkdir -p "$(dirname "$out")"
work=$(mktemp -d "$out.tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Outside this module (cd /, no GOFLAGS), so neither go.mod nor -mod flags
# get involved.
if ! json=$(cd / && GOFLAGS= "$go" mod download -json "golang.org/x/vulndb@$version"); then
  echo "hack/vulndb.sh: could not download golang.org/x/vulndb@$version from the module proxy: $json" >&2
  exit 1
fi
field() { printf '%s\n' "$json" | sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}\$/\1/p"; }
dir=$(field Dir)
info=$(field Info)
if [ -z "$dir" ] || [ ! -d "$dir/data/osv" ] || [ -z "$info" ]; then
  echo "hack/vulndb.sh: golang.org/x/vulndb@$version has no data/osv directory (go mod download said: $json)" >&2
  exit 1
fi
modified=$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$info")
if [ -z "$modified" ]; then
  echo "hack/vulndb.sh: no commit time in $info" >&2
  exit 1
fi

(cd / && GOFLAGS= GOBIN="$work/bin" "$go" install "golang.org/x/vulndb/cmd/indexdb@$version")
"$work/bin/indexdb" -vulns "$dir/data/osv" -out "$work/db"

printf '{"modified":"%s"}' "$modified" >"$work/db/index/db.json"
gzip -n -c "$work/db/index/db.json" >"$work/db/index/db.json.gz"

want=$(find "$dir/data/osv" -maxdepth 1 -name '*.json' | wc -l)
got=$(find "$work/db/ID" -maxdepth 1 -name '*.json' | wc -l)
if [ "$want" -eq 0 ] || [ "$want" -ne "$got" ] || [ ! -s "$work/db/index/modules.json" ]; then
  echo "hack/vulndb.sh: incomplete database: $got ID entries for $want OSV files in golang.org/x/vulndb@$version" >&2
  exit 1
fi

rm -rf "$out"
mv "$work/db" "$out"
echo "hack/vulndb.sh: vulnerability database golang.org/x/vulndb@$version ($got entries, as of $modified) in $out" >&2
