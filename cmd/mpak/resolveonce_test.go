package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mpak-oci/mpak/internal/cli"
	"github.com/mpak-oci/mpak/internal/cli/trustcmd"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// movingTag fronts a real registry and, after the first request for tag
// from, answers every later request for it with tag to's manifest: the
// tag moved between two requests of one command, as a publisher with push
// rights can make it do at the worst moment.
func movingTag(t *testing.T, backend, from, to string) string {
	t.Helper()
	u, err := url.Parse("http://" + backend)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	var seen atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/manifests/"+from) && seen.Add(1) > 1 {
			r.URL.Path = strings.TrimSuffix(r.URL.Path, from) + to
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestResolveOnce: the policy check and what is fetched, copied or
// verified are the same digest, even when the tag moves in between.
// 1.0.0 is signed; 1.0.1, unsigned, is what the tag moves to.
func TestResolveOnce(t *testing.T) {
	t.Parallel()
	backend := registrytest.Distribution(t)
	e := isolate(t, backend)
	e["COSIGN_PASSWORD"] = "s3cret"
	good, evil := exampleDir(t, "1.0.0"), exampleDir(t, "1.0.1")
	dir := t.TempDir()
	e.ok(t, "bundle", "keygen", "--output-key-prefix", filepath.Join(dir, "cosign"))
	e.ok(t, "bundle", "pack", good, "-o", filepath.Join(dir, "good.mcpb"))
	e.ok(t, "bundle", "pack", evil, "-o", filepath.Join(dir, "evil.mcpb"))
	signedDigest := decode[cli.PushOutput](t, e.ok(t, "bundle", "push", "@example/hello", filepath.Join(dir, "good.mcpb"), "--json")).Digest
	e.ok(t, "bundle", "push", "@example/hello", filepath.Join(dir, "evil.mcpb"))
	e.ok(t, "bundle", "sign", "@example/hello@1.0.0", "--key", filepath.Join(dir, "cosign.key"))
	goodLayer := decode[cli.PullOutput](t, e.ok(t, "bundle", "pull", "@example/hello@1.0.0", "-o", t.TempDir(), "--json")).Bundle

	ref := func() string { return movingTag(t, backend, "1.0.0", "1.0.1") + "/example/hello:1.0.0" }

	t.Run("pull", func(t *testing.T) {
		p := decode[cli.PullOutput](t, e.ok(t, "bundle", "pull", ref(), "--require-signature", "--key", filepath.Join(dir, "cosign.pub"), "-o", t.TempDir(), "--json"))
		if p.Digest != signedDigest || p.Bundle != goodLayer {
			t.Errorf("pull checked the signed %s but wrote version %s, layer %s (want layer %s)", signedDigest, p.Digest, p.Bundle, goodLayer)
		}
	})
	t.Run("run", func(t *testing.T) {
		e := e.with("MPAK_CACHE", t.TempDir())
		// Whether the server then starts (it needs node) does not matter:
		// what was checked and installed does.
		e.mpak(t, "run", ref(), "--require-signature", "--key", filepath.Join(dir, "cosign.pub"))
		entries := decode[[]cli.CacheEntryOutput](t, e.ok(t, "cache", "ls", "--json"))
		if len(entries) != 1 || entries[0].Digest != goodLayer {
			t.Errorf("run installed %+v, want only the signed version's layer %s", entries, goodLayer)
		}
	})
	t.Run("copy", func(t *testing.T) {
		dst := registrytest.Distribution(t)
		out := e.ok(t, "bundle", "copy", ref(), dst+"/example/hello", "--json")
		if c := decode[cli.CopyOutput](t, out); c.Digest != signedDigest {
			t.Errorf("copy warned about and tagged %s, want the version resolved first, %s", c.Digest, signedDigest)
		}
	})
	t.Run("verify", func(t *testing.T) {
		v := decode[trustcmd.VerifyOutput](t, e.ok(t, "bundle", "verify", ref(), "--key", filepath.Join(dir, "cosign.pub"), "--json"))
		if !strings.HasSuffix(v.Reference, "@"+signedDigest) {
			t.Errorf("verify checked %s, want %s", v.Reference, signedDigest)
		}
	})
}
