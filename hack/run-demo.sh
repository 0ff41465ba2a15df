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

# The demo key signs 1.1.0 and vouches for the scan run below; mpakd itself
# scans every push (--scan) and signs its verdicts with its own key.
keys="$data/demo-keys"
export COSIGN_PASSWORD=""
if [ ! -f "$keys/cosign.key" ]; then
  mkdir -p "$keys"
  (cd "$keys" && "$OLDPWD/bin/mpak" bundle keygen -q >/dev/null)
fi

bin/mpakd serve --addr "$addr" --data "$data" --scan --trusted-scanner-key "$keys/cosign.pub" &
pid=$!
# Ctrl-C stops mpakd and ends the demo normally, not as a failed target.
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap stop EXIT
trap 'stop; exit 0' INT TERM

for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}") 2>/dev/null; then break; fi
  sleep 0.1
done

export MPAK_REGISTRY=$addr
# The last commit of the example: stable across other commits, so a re-run
# pushes the same bytes (a no-op) instead of a conflicting version.
revision=$(git log -1 --format=%H -- hack/examples/hello 2>/dev/null || true)
revision=${revision:-0000000000000000000000000000000000000000}
work=$(mktemp -d)
for version in 1.0.0 1.1.0 2.0.0-beta.1; do
  src="$work/hello-$version"
  cp -r hack/examples/hello "$src"
  sed -i "s/\"version\": \"1.0.0\"/\"version\": \"$version\"/" "$src/manifest.json"
  bin/mpak bundle pack -q "$src" -o "$work/hello-$version.mcpb" >/dev/null
  bin/mpak bundle push -q @example/hello "$work/hello-$version.mcpb" --revision "$revision"
done
rm -rf "$work"

# Sign 1.1.0 with the demo key, attest where it was built from (the source the
# manifest declares, at the revision pushed), and attach a signed scan of it,
# so its page shows provenance and a verified level. Done once: a re-run
# finds the signature and leaves it.
if ! bin/mpak bundle verify @example/hello@1.1.0 --key "$keys/cosign.pub" >/dev/null 2>&1; then
  bin/mpak bundle sign -q @example/hello@1.1.0 --key "$keys/cosign.key" >/dev/null
  bin/mpak bundle attest -q @example/hello@1.1.0 --key "$keys/cosign.key" --slsa \
    --source-repo https://github.com/mpak-oci/mpak --source-revision "$revision" \
    --builder-id "https://github.com/mpak-oci/mpak/blob/main/hack/run-demo.sh" >/dev/null
  bin/mpak bundle scan -q @example/hello@1.1.0 --key "$keys/cosign.pub" --attach --sign-key "$keys/cosign.key" >/dev/null || true
fi

cat <<MSG

mpakd is serving on http://$addr with @example/hello published; 1.1.0 is signed, attested
and scanned. Open http://$addr/ in a browser, or try, in another shell:

  export MPAK_REGISTRY=$addr
  bin/mpak bundle tags @example/hello            # 2.0.0-beta.1, 1.1.0, 1.0.0
  bin/mpak bundle inspect @example/hello         # latest = 1.1.0 (highest release)
  bin/mpak bundle pull @example/hello@^1.0 -o /tmp
  bin/mpak bundle search greet                   # the catalog: ranked full text over names, descriptions, tools
  bin/mpak bundle show @example/hello            # versions, builds, downloads, who signed it
  bin/mpak bundle verify @example/hello --key $keys/cosign.pub
  bin/mpak run @example/hello                    # a stdio MCP server; try {"jsonrpc":"2.0","id":1,"method":"tools/list"}
  curl http://$addr/v1/bundles/@example/hello
  curl "http://$addr/v0.1/servers?search=hello"  # the official MCP Registry API

Press Ctrl-C to stop.
MSG
wait "$pid" || true
