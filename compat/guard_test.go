package compat

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
)

// TestAttacksOnPublishedVersions: against mpakd with its defaults, and
// against three replicas in front of distribution (each attack through
// another replica), every way the real CLIs have to move, overwrite,
// mislabel or delete a published version is refused with an error they
// print, and the version, every catalog entry and its bytes stay as
// published. Repeating exactly what was published is a no-op.
func TestAttacksOnPublishedVersions(t *testing.T) {
	for _, setup := range setups {
		t.Run(setup.name, func(t *testing.T) { attackPublished(t, setup.start(t)) })
	}
}

func attackPublished(t *testing.T, cl *cluster) {
	c := newCLI(t, cl.nodes[0].host, "mpak", "crane", "oras", "regctl")
	turn := 0
	next := func() string { // the replica the next attack goes through
		turn++
		return cl.nodes[turn%len(cl.nodes)].host
	}
	for _, n := range cl.nodes[1:] {
		c.ok("regctl", "registry", "set", "--tls", "disabled", n.host)
	}
	h := cl.nodes[0].host
	hello := mcpbtest.Pack(t, "hello", "1.0.0", "as published")
	impostor := mcpbtest.Pack(t, "hello", "1.0.0", "the attacker's server")
	evil := mcpbtest.Pack(t, "evil", "1.0.0", "")
	v303 := mcpbtest.Pack(t, "hello", "3.0.3", "")

	pub := c.push(h+"/acme/hello", hello)
	c.push(h+"/mirror/hello", impostor) // the same name and version, other bytes, elsewhere
	c.push(h+"/acme/evil", evil)
	published := pub.Digest
	orasFile := func(path string) string { // oras takes files relative to its directory
		dir := t.TempDir()
		link := filepath.Join(dir, filepath.Base(path))
		if err := os.Symlink(path, link); err != nil {
			t.Fatal(err)
		}
		return link + ":application/vnd.mcpb.bundle.v1+zip"
	}
	bump := []string{"already published as " + published, "bump the version"}

	t.Run("crane copy over a published tag", func(t *testing.T) {
		c := c.on(t)
		h := next()
		c.refused("crane", []string{"copy", "--insecure", h + "/mirror/hello:1.0.0", h + "/acme/hello:1.0.0"}, bump...)
	})
	t.Run("regctl image copy over a published tag", func(t *testing.T) {
		c := c.on(t)
		h := next()
		c.refused("regctl", []string{"image", "copy", h + "/mirror/hello:1.0.0", h + "/acme/hello:1.0.0"}, bump...)
	})
	t.Run("oras push over a published tag", func(t *testing.T) {
		c := c.on(t)
		h := next()
		c.refused("oras", []string{"push", "--plain-http", "--disable-path-validation", h + "/acme/hello:1.0.0", orasFile(impostor)}, bump...)
	})
	t.Run("mpak push over a published tag exits 2", func(t *testing.T) {
		c := c.on(t)
		h := next()
		out, err := c.run("mpak", "bundle", "push", h+"/acme/hello", impostor)
		if code := exitCode(err); code != 2 || !strings.Contains(out, published) {
			t.Errorf("exit %d, want 2 naming %s:\n%s", code, published, out)
		}
	})
	t.Run("the same digest again is a no-op", func(t *testing.T) {
		c := c.on(t)
		h := next()
		c.ok("crane", "tag", "--insecure", h+"/acme/hello@"+published, "1.0.0")
		if out := c.ok("mpak", "bundle", "push", h+"/acme/hello", hello); !strings.Contains(out, "nothing to do") {
			t.Errorf("re-push of the same files: %s", out)
		}
	})
	t.Run("a bundle under another bundle's name", func(t *testing.T) {
		c := c.on(t)
		h := next()
		c.refused("crane", []string{"copy", "--insecure", h + "/acme/evil:1.0.0", h + "/acme/hello:1.0.1"},
			`names the bundle "evil"`, "repository ending in /evil")
	})
	t.Run("a tag that is not the bundle's version", func(t *testing.T) {
		c := c.on(t)
		h := next()
		c.refused("oras", []string{"push", "--plain-http", "--disable-path-validation", h + "/acme/hello:0.0.1-x", orasFile(v303)},
			`says version "3.0.3"`, "push it as :3.0.3")
	})
	t.Run("something other than a bundle under a version tag", func(t *testing.T) {
		c := c.on(t)
		h := next()
		notes := filepath.Join(t.TempDir(), "notes.txt")
		if err := os.WriteFile(notes, []byte("not a bundle"), 0o644); err != nil {
			t.Fatal(err)
		}
		c.refused("oras", []string{"push", "--plain-http", "--disable-path-validation", h + "/acme/hello:9.9.9", notes}, "holds MCP bundles")
	})

	root := c.ok("crane", "manifest", "--insecure", cl.registry+"/acme/hello:1.0.0")
	var index struct {
		Manifests []struct{ Digest string } `json:"manifests"`
	}
	if err := json.Unmarshal([]byte(root), &index); err != nil || len(index.Manifests) == 0 {
		t.Fatalf("crane manifest: %v\n%s", err, root)
	}
	build := index.Manifests[0].Digest
	yank := []string{"never deleted", "yank"}
	t.Run("crane delete of the version", func(t *testing.T) {
		c := c.on(t)
		h := next()
		c.refused("crane", []string{"delete", "--insecure", h + "/acme/hello@" + published}, yank...)
	})
	t.Run("crane delete of a platform manifest", func(t *testing.T) {
		c := c.on(t)
		h := next()
		c.refused("crane", []string{"delete", "--insecure", h + "/acme/hello@" + build}, yank...)
	})
	t.Run("crane delete of the tag", func(t *testing.T) {
		c := c.on(t)
		h := next()
		c.refused("crane", []string{"delete", "--insecure", h + "/acme/hello:1.0.0"}, yank...)
	})
	t.Run("oras manifest delete", func(t *testing.T) {
		c := c.on(t)
		h := next()
		c.refused("oras", []string{"manifest", "delete", "--plain-http", "--force", h + "/acme/hello:1.0.0"}, yank...)
	})
	t.Run("regctl tag delete (a dummy manifest over the tag, then deleted)", func(t *testing.T) {
		c := c.on(t)
		h := next()
		c.refused("regctl", []string{"tag", "delete", h + "/acme/hello:1.0.0"}, "already published as "+published)
	})
	t.Run("DELETE of the bundle's blob", func(t *testing.T) {
		h := next()
		req, _ := http.NewRequest(http.MethodDelete, "http://"+h+"/v2/acme/hello/blobs/"+pub.Builds[0].Bundle, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("DELETE blob: %s, want 405 (the spec's answer of a registry that does not delete blobs)", resp.Status)
		}
	})

	// After all of it: the tag, the catalogs and the bytes are as published.
	if got := strings.TrimSpace(c.ok("crane", "digest", "--insecure", cl.registry+"/acme/hello:1.0.0")); got != published {
		t.Errorf("the tag names %s, want %s", got, published)
	}
	for i, n := range cl.nodes {
		v, err := n.catalog.Version(context.Background(), "acme/hello", "1.0.0")
		if err != nil || v.Digest != published || v.Tampered != "" {
			t.Fatalf("node %d's catalog has 1.0.0 as %s (tampered %q), %v; want %s", i, v.Digest, v.Tampered, err, published)
		}
		if b, err := n.catalog.Bundle(context.Background(), "acme/hello"); err != nil || len(b.Versions) != 1 {
			t.Errorf("node %d's catalog lists %d versions (%v), want 1.0.0 alone", i, len(b.Versions), err)
		}
	}
	dir := t.TempDir()
	c.ok("mpak", "bundle", "pull", next()+"/acme/hello:1.0.0", "-o", dir+"/")
	pulled, _ := filepath.Glob(filepath.Join(dir, "*.mcpb"))
	if len(pulled) != 1 || fileSHA(t, pulled[0]) != fileSHA(t, hello) {
		t.Errorf("pulled %v, want the published bytes", pulled)
	}

	t.Run("a plain oras push of a bundle is catalogued", func(t *testing.T) {
		c := c.on(t)
		h := next()
		c.ok("oras", "push", "--plain-http", "--disable-path-validation", h+"/acme/hello:3.0.3", orasFile(v303))
		digest := strings.TrimSpace(c.ok("crane", "digest", "--insecure", h+"/acme/hello:3.0.3"))
		v, err := cl.nodes[0].catalog.Version(context.Background(), "acme/hello", "3.0.3")
		if err != nil || v.Digest != digest || len(v.Builds) != 1 || v.Builds[0].BundleDigest != "sha256:"+fileSHA(t, v303) {
			t.Fatalf("catalog: %+v, %v; want 3.0.3 at %s with the file's digest", v, err, digest)
		}
	})
}

func exitCode(err error) int {
	var e *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &e):
		return e.ExitCode()
	}
	return -1
}
