#!/usr/bin/env bash
# Runs mpakd on its embedded default (127.0.0.1:5000, data in ./mpak-data) and
# publishes the example bundles with the mpak CLI, so there is something to
# pull and inspect. Re-running is safe: packing is reproducible, so the second
# push of the same version is a no-op.
set -euo pipefail
cd "$(dirname "$0")/.."

make build >/dev/null
addr=${MPAKD_ADDR:-127.0.0.1:5000}
data=${MPAKD_DATA:-./mpak-data}

bin/mpakd serve --addr "$addr" --data "$data" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT INT TERM

for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}") 2>/dev/null; then break; fi
  sleep 0.1
done

export MPAK_REGISTRY=$addr
work=$(mktemp -d)
for version in 1.0.0 1.1.0 2.0.0-beta.1; do
  src="$work/hello-$version"
  cp -r hack/examples/hello "$src"
  sed -i "s/\"version\": \"1.0.0\"/\"version\": \"$version\"/" "$src/manifest.json"
  bin/mpak bundle pack -q "$src" -o "$work/hello-$version.mcpb" >/dev/null
  bin/mpak bundle push -q @example/hello "$work/hello-$version.mcpb"
done
rm -rf "$work"

cat <<MSG

mpakd is serving on http://$addr with @example/hello published. Try, in another shell:

  export MPAK_REGISTRY=$addr
  bin/mpak bundle tags @example/hello            # 2.0.0-beta.1, 1.1.0, 1.0.0
  bin/mpak bundle inspect @example/hello         # latest = 1.1.0 (highest release)
  bin/mpak bundle pull @example/hello@^1.0 -o /tmp
  bin/mpak bundle search greet                   # the catalog: ranked full text over names, descriptions, tools
  bin/mpak bundle show @example/hello            # versions, builds, downloads
  bin/mpak run @example/hello                    # a stdio MCP server; try {"jsonrpc":"2.0","id":1,"method":"tools/list"}
  curl http://$addr/v1/bundles/@example/hello
  curl "http://$addr/v0.1/servers?search=hello"  # the official MCP Registry API

Press Ctrl-C to stop.
MSG
wait "$pid"
