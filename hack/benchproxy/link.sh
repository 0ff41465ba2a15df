#!/usr/bin/env bash
# link.sh RATE [go test flags...]: runs BenchmarkProxyPull with the upstream
# across a link of RATE (tc syntax: 2gbit, 8gbit; "none" for the link without
# a limit), as if the upstream registry were on another host and mpakd next
# to its clients.
#
# The upstream mpakd runs in a network namespace of its own, reached over a
# veth pair; a tbf qdisc on the namespace's end limits what the upstream
# sends. Both paths cross that link once: the client's direct pulls, and
# the proxy's upstream requests. The client-to-proxy hop stays on loopback.
# Nothing outside the namespace is shaped, so other programs using lo are
# not slowed. Needs root and iproute2; deletes the namespace (and with it
# the veth pair) on exit.
set -euo pipefail
rate=${1:?usage: link.sh RATE|none [go test flags...]}
shift
ns=mpakb$$
host_if=${ns}h up_if=${ns}u
net=${BENCHPROXY_NET:-10.203.0} # a /30 no other interface here uses
cd "$(dirname "$0")/../.."
cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$ns"
ip link add "$host_if" type veth peer name "$up_if" netns "$ns"
ip addr add "$net.1/30" dev "$host_if"
ip link set "$host_if" up
ip -n "$ns" addr add "$net.2/30" dev "$up_if"
ip -n "$ns" link set "$up_if" up
ip -n "$ns" link set lo up
if [ "$rate" != none ]; then
	# A burst of 4 MB covers a timer tick at these rates; 100 ms of queue
	# keeps TCP from seeing losses it would not see on a switch.
	ip netns exec "$ns" tc qdisc add dev "$up_if" root tbf rate "$rate" burst 4mb latency 100ms
fi
go test ./hack/benchproxy/ -run '^$' -bench ProxyPull -benchtime 1x -timeout 60m -v \
	-benchproxy.netns="$ns" -benchproxy.upstream="$net.2:5000" "$@"
