package compat

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/oci/sign"
	"github.com/mpak-oci/mpak/registry/registrytest"
	"github.com/mpak-oci/mpak/registry/server"
)

// harborFronted is one mpakd in front of a Harbor-like registry, which has
// the referrers API itself.
func harborFronted(t *testing.T) *cluster {
	h := registrytest.NewHarborLike(t)
	u, _ := url.Parse("http://" + h.Host)
	return &cluster{nodes: []*node{startMpakd(t, server.Options{Upstream: u})}, registry: h.Host}
}

// TestReferrersWithoutClientFallbackTags: oras attach and cosign sign
// (OCI 1.1 referrers mode) through mpakd get OCI-Subject on their manifest
// PUTs, whether mpakd embeds the registry, fronts one without the
// referrers API (replicas in front of distribution) or fronts one with it
// (Harbor-like); so no client writes a sha256-<hex> fallback tag, and
// every node lists both referrers and reads the version as signed.
func TestReferrersWithoutClientFallbackTags(t *testing.T) {
	for _, setup := range append(setups, setup{"in front of Harbor-like", harborFronted}) {
		t.Run(setup.name, func(t *testing.T) {
			c := setup.start(t)
			first, last := c.nodes[0], c.nodes[len(c.nodes)-1]
			cl := newCLI(t, first.host, "mpak", "oras", "cosign")
			published := cl.push(first.host+"/acme/hello", mcpbtest.Pack(t, "hello", "1.0.0", "")).Digest
			subject := last.host + "/acme/hello@" + published

			dir := t.TempDir()
			note := filepath.Join(dir, "note.txt")
			keys, err := sign.GenerateKeyPair(nil)
			if err != nil {
				t.Fatal(err)
			}
			key := filepath.Join(dir, "cosign.key")
			if err := os.WriteFile(note, []byte("reviewed"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(key, keys.Private, 0o600); err != nil {
				t.Fatal(err)
			}
			cl.ok("oras", "attach", "--plain-http", "--disable-path-validation", "--artifact-type", "application/vnd.example.review", subject, note)
			cl.ok("cosign", "sign", "--key", key, "--tlog-upload=false", "--yes", "--registry-referrers-mode=oci-1-1",
				"--allow-http-registry", "--allow-insecure-registry", subject)

			var answered int
			for i, n := range c.nodes {
				if writes := n.log.matching("PUT", "/manifests/sha256-"); len(writes) > 0 {
					t.Errorf("node %d: clients wrote fallback tags: %q", i, writes)
				}
				answered += len(n.log.matching("PUT", "/manifests/", "OCI-Subject="+published))
			}
			if answered < 2 {
				t.Errorf("%d manifest PUTs were answered with OCI-Subject %s, want oras's and cosign's", answered, published)
			}
			out := cl.ok("oras", "discover", "--plain-http", "--format", "json", first.host+"/acme/hello@"+published)
			for _, want := range []string{"application/vnd.example.review", "application/vnd.dev.cosign.artifact.sig.v1+json"} {
				if !strings.Contains(out, want) {
					t.Errorf("oras discover through the first node does not list a %s referrer:\n%s", want, out)
				}
			}
			for i, n := range c.nodes {
				deadline := time.Now().Add(5 * time.Second)
				for {
					v, err := n.catalog.Version(context.Background(), "acme/hello", "1.0.0")
					if err == nil && v.Signed {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("node %d's catalog does not read the version as signed after cosign sign: %+v, %v", i, v, err)
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}
}
