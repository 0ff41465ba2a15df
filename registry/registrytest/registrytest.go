// Package registrytest starts real OCI registries in-process for tests:
// distribution/v3 (what mpakd embeds, and what most self-hosted registries
// run) and go-containerregistry's registry, with and without the referrers
// API. They listen on loopback, so clients use plain HTTP as they would
// against a local registry.
package registrytest

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	ggcr "github.com/google/go-containerregistry/pkg/registry"

	"github.com/mpak-oci/mpak/registry/embedded"
)

// Distribution starts distribution/v3 with in-memory storage and returns
// its host:port.
func Distribution(t testing.TB) string {
	return DistributionAt(t, "")
}

// DistributionAt starts distribution/v3 storing under dir.
func DistributionAt(t testing.TB, dir string) string {
	t.Helper()
	reg, err := embedded.New(context.Background(), embedded.Options{Dir: dir})
	if err != nil {
		t.Fatalf("starting distribution: %v", err)
	}
	srv := httptest.NewServer(reg)
	t.Cleanup(func() {
		srv.Close()
		reg.Close()
	})
	return host(srv)
}

// GGCR starts go-containerregistry's registry; referrers turns on its
// referrers API.
func GGCR(t testing.TB, referrers bool) string {
	t.Helper()
	opts := []ggcr.Option{ggcr.Logger(log.New(io.Discard, "", 0))}
	if referrers {
		opts = append(opts, ggcr.WithReferrersSupport(true))
	}
	srv := httptest.NewServer(ggcr.New(opts...))
	t.Cleanup(srv.Close)
	return host(srv)
}

func host(srv *httptest.Server) string { return strings.TrimPrefix(srv.URL, "http://") }
