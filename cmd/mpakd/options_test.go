package main

import (
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// TestCountingFlags: --trusted-proxy takes addresses and CIDRs, and
// --downloads-per-client 0 means no limit.
func TestCountingFlags(t *testing.T) {
	f := &serveFlags{data: t.TempDir(), trustedProxies: []string{"10.0.0.0/8", "192.0.2.7", "fd00::1/8"}}
	o, err := f.options(nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("fd00::/8")}
	if !slices.Equal(o.TrustedProxies, want) || o.DownloadsPerClient != -1 {
		t.Errorf("options: proxies %v, per client %d; want %v and no limit", o.TrustedProxies, o.DownloadsPerClient, want)
	}
	f = &serveFlags{data: t.TempDir(), downloadsPerClient: 5, trustedProxies: []string{"proxy.example"}}
	if _, err := f.options(nil, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "--trusted-proxy") {
		t.Errorf("a host name as --trusted-proxy: %v, want a refusal naming the flag", err)
	}
}
