package ref

import (
	"net"
	"strings"
)

// IsLocalHost reports whether registry (host or host:port) is on the loopback
// interface: "localhost", 127.0.0.0/8 or ::1 ("[::1]:5000"). Clients talk
// plain HTTP to such registries by default, as go-containerregistry and
// docker do, because a local registry (mpakd's default) rarely has a
// certificate and the traffic never leaves the machine.
func IsLocalHost(registry string) bool {
	host := registry
	if h, _, err := net.SplitHostPort(registry); err == nil {
		host = h
	} else {
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
