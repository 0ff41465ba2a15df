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

	"github.com/mpak-oci/mpak/oci/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/registry/server"
)

// TestAttacksOnPublishedVersions: against mpakd with its defaults, every
// way the real CLIs have to move, overwrite, mislabel or delete a published
// version is refused with an error they print, and the version, its
// catalog entry and its bytes stay as published. Repeating exactly what
// was published is a no-op.
func TestAttacksOnPublishedVersions(t *testing.T) {
	n := startMpakd(t, server.Options{})
	c := newCLI(t, n.host, "mpak", "crane", "oras", "regctl")
	h := n.host
	hello := mcpbtest.Pack(t, "hello", "1.0.0", "as published")
	impostor := mcpbtest.Pack(t, "hello", "1.0.0", "the attacker's server")
	evil := mcpbtest.Pack(t, "evil", "1.0.0", "")
	v303 := mcpbtest.Pack(t, "hello", "3.0.3", "")

	pub := c.push("@acme/hello", hello)
	c.push(h+"/mirror/hello", impostor) // the same name and version, other bytes, elsewhere
	c.push("@acme/evil", evil)
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
		c.refused("crane", []string{"copy", "--insecure", h + "/mirror/hello:1.0.0", h + "/acme/hello:1.0.0"}, bump...)
	})
	t.Run("regctl image copy over a published tag", func(t *testing.T) {
		c := c.on(t)
		c.refused("regctl", []string{"image", "copy", h + "/mirror/hello:1.0.0", h + "/acme/hello:1.0.0"}, bump...)
	})
	t.Run("oras push over a published tag", func(t *testing.T) {
		c := c.on(t)
		c.refused("oras", []string{"push", "--plain-http", "--disable-path-validation", h + "/acme/hello:1.0.0", orasFile(impostor)}, bump...)
	})
	t.Run("mpak push over a published tag exits 2", func(t *testing.T) {
		c := c.on(t)
		out, err := c.run("mpak", "bundle", "push", "@acme/hello", impostor)
		if code := exitCode(err); code != 2 || !strings.Contains(out, published) {
			t.Errorf("exit %d, want 2 naming %s:\n%s", code, published, out)
		}
	})
	t.Run("the same digest again is a no-op", func(t *testing.T) {
		c := c.on(t)
		c.ok("crane", "tag", "--insecure", h+"/acme/hello@"+published, "1.0.0")
		if out := c.ok("mpak", "bundle", "push", "@acme/hello", hello); !strings.Contains(out, "nothing to do") {
			t.Errorf("re-push of the same files: %s", out)
		}
	})
	t.Run("a bundle under another bundle's name", func(t *testing.T) {
		c := c.on(t)
		c.refused("crane", []string{"copy", "--insecure", h + "/acme/evil:1.0.0", h + "/acme/hello:1.0.1"},
			`names the bundle "evil"`, "repository ending in /evil")
	})
	t.Run("a tag that is not the bundle's version", func(t *testing.T) {
		c := c.on(t)
		c.refused("oras", []string{"push", "--plain-http", "--disable-path-validation", h + "/acme/hello:0.0.1-x", orasFile(v303)},
			`says version "3.0.3"`, "push it as :3.0.3")
	})
	t.Run("something other than a bundle under a version tag", func(t *testing.T) {
		c := c.on(t)
		notes := filepath.Join(t.TempDir(), "notes.txt")
		if err := os.WriteFile(notes, []byte("not a bundle"), 0o644); err != nil {
			t.Fatal(err)
		}
		c.refused("oras", []string{"push", "--plain-http", "--disable-path-validation", h + "/acme/hello:9.9.9", notes}, "holds MCP bundles")
	})

	root := c.ok("crane", "manifest", "--insecure", h+"/acme/hello:1.0.0")
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
		c.refused("crane", []string{"delete", "--insecure", h + "/acme/hello@" + published}, yank...)
	})
	t.Run("crane delete of a platform manifest", func(t *testing.T) {
		c := c.on(t)
		c.refused("crane", []string{"delete", "--insecure", h + "/acme/hello@" + build}, yank...)
	})
	t.Run("crane delete of the tag", func(t *testing.T) {
		c := c.on(t)
		c.refused("crane", []string{"delete", "--insecure", h + "/acme/hello:1.0.0"}, yank...)
	})
	t.Run("oras manifest delete", func(t *testing.T) {
		c := c.on(t)
		c.refused("oras", []string{"manifest", "delete", "--plain-http", "--force", h + "/acme/hello:1.0.0"}, yank...)
	})
	t.Run("regctl tag delete (a dummy manifest over the tag, then deleted)", func(t *testing.T) {
		c := c.on(t)
		c.refused("regctl", []string{"tag", "delete", h + "/acme/hello:1.0.0"}, "already published as "+published)
	})
	t.Run("DELETE of the bundle's blob", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodDelete, "http://"+h+"/v2/acme/hello/blobs/"+pub.Builds[0].Bundle, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("DELETE blob: %s, want 403", resp.Status)
		}
	})

	// After all of it: the tag, the catalog and the bytes are as published.
	if got := strings.TrimSpace(c.ok("crane", "digest", "--insecure", h+"/acme/hello:1.0.0")); got != published {
		t.Errorf("the tag names %s, want %s", got, published)
	}
	v, err := n.catalog.Version(context.Background(), "acme/hello", "1.0.0")
	if err != nil || v.Digest != published {
		t.Fatalf("the catalog's 1.0.0: %+v, %v; want %s", v, err, published)
	}
	dir := t.TempDir()
	c.ok("mpak", "bundle", "pull", "@acme/hello@1.0.0", "-o", dir+"/")
	pulled, _ := filepath.Glob(filepath.Join(dir, "*.mcpb"))
	if len(pulled) != 1 || fileSHA(t, pulled[0]) != fileSHA(t, hello) {
		t.Errorf("pulled %v, want the published bytes", pulled)
	}
	if b, err := n.catalog.Bundle(context.Background(), "acme/hello"); err != nil || len(b.Versions) != 1 {
		t.Errorf("the catalog lists %+v (%v), want 1.0.0 alone", b, err)
	}

	t.Run("a plain oras push of a bundle is catalogued", func(t *testing.T) {
		c := c.on(t)
		c.ok("oras", "push", "--plain-http", "--disable-path-validation", h+"/acme/hello:3.0.3", orasFile(v303))
		digest := strings.TrimSpace(c.ok("crane", "digest", "--insecure", h+"/acme/hello:3.0.3"))
		v, err := n.catalog.Version(context.Background(), "acme/hello", "3.0.3")
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
