#!/usr/bin/env bash
# build.sh [TAG]: builds the FROM-scratch images mpak/mpakd:TAG and
# mpak/registry:TAG (default dev) from static binaries, with the classic
# builder: no base image is pulled.
set -euo pipefail
tag=${1:-dev}
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for image in mpakd registry; do
  mkdir -p "$work/$image/tmp" "$work/$image/data"
  chmod 1777 "$work/$image/tmp"
  chown 65532:65532 "$work/$image/data" 2>/dev/null || chmod 0777 "$work/$image/data"
done
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION:-$tag}" -o "$work/mpakd/mpakd" ./cmd/mpakd
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/registry/registry" ./hack/images/registry
cp /etc/ssl/certs/ca-certificates.crt "$work/mpakd/"
cp hack/images/registry-config.yml "$work/registry/config.yml"
DOCKER_BUILDKIT=0 docker build -q -t "mpak/mpakd:$tag" -f hack/images/mpakd.Dockerfile "$work/mpakd"
DOCKER_BUILDKIT=0 docker build -q -t "mpak/registry:$tag" -f hack/images/registry.Dockerfile "$work/registry"
