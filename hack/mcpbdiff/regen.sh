#!/bin/sh
# Regenerates mcpb/testdata/mcpbdiff: the manifest variants (cases.json)
# and the reference mcpb CLI's verdict on each (verdicts.json). Needs node and
# npm; `go test ./mcpb` then checks mpak against the recorded verdicts
# without them. Run from the repository root:
#
#   hack/mcpbdiff/regen.sh            # MCPB_VERSION=2.1.2 by default
set -eu

version=${MCPB_VERSION:-2.1.2}
prefix=${MCPB_PREFIX:-$HOME/.cache/mpak/mcpb-$version}
pkg=$prefix/node_modules/@anthropic-ai/mcpb

if [ ! -f "$pkg/dist/node/validate.js" ]; then
	npm install --no-save --prefix "$prefix" "@anthropic-ai/mcpb@$version"
fi
got=$(node -p "require('$prefix/node_modules/@anthropic-ai/mcpb/package.json').version")
if [ "$got" != "$version" ]; then
	echo "regen.sh: $prefix has mcpb $got, want $version (remove it or set MCPB_PREFIX)" >&2
	exit 1
fi

go run ./hack/mcpbdiff -mcpb "$pkg" -mcpb-version "$version" -out mcpb/testdata/mcpbdiff
