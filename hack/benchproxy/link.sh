#!/usr/bin/env bash
# link.sh RATE [go test flags...]: runs BenchmarkProxyPull with the
# upstream's outgoing traffic limited to RATE (tc syntax: 1gbit, 2500mbit),
# as if the upstream registry were across a network link and mpakd next to
# its clients. Only packets from the upstream's port are shaped (an htb
# class on lo chosen by a u32 filter on the source port; everything else
# goes to a class limited far above loopback speed); the client-to-proxy
# hop stays at loopback speed. Needs root and iproute2; removes the qdisc
# on exit.
set -euo pipefail
rate=${1:?usage: link.sh RATE [go test flags...]}
shift
port=${BENCHPROXY_PORT:-5999}
cd "$(dirname "$0")/../.."
cleanup() { tc qdisc del dev lo root 2>/dev/null || true; }
trap cleanup EXIT
cleanup
tc qdisc add dev lo root handle 1: htb default 20
tc class add dev lo parent 1: classid 1:10 htb rate "$rate" burst 4mb
tc class add dev lo parent 1: classid 1:20 htb rate 400gbit burst 64mb
tc filter add dev lo parent 1: protocol ip u32 match ip sport "$port" 0xffff flowid 1:10
go test ./hack/benchproxy/ -run '^$' -bench ProxyPull -benchtime 1x -timeout 60m -v \
  -benchproxy.upstream="127.0.0.1:$port" "$@"
