package compat

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
)

// TestTagMovedBehindMpakd: three replicas front a registry that a client
// can also reach directly. A push straight to the registry moves a
// published tag. The first pull through any replica is refused (the
// registry's answer is checked against the published digest), the catalog
// marks the version tampered and keeps the published digest, sync and
// fsck report it, and the published bytes stay pullable by digest.
// Restoring the tag clears the mark.
func TestTagMovedBehindMpakd(t *testing.T) {
	c := replicas(t)
	a, b := c.nodes[0], c.nodes[1]
	cl := newCLI(t, a.host, "mpak", "crane", "oras")
	hello := mcpbtest.Pack(t, "hello", "1.0.0", "as published")
	impostor := mcpbtest.Pack(t, "hello", "1.0.0", "the attacker's server")
	published := cl.push(a.host+"/acme/hello", hello).Digest
	moved := cl.push(c.registry+"/elsewhere/hello", impostor).Digest
	// Straight to the registry, where mpakd cannot refuse it.
	cl.ok("crane", "copy", "--insecure", c.registry+"/elsewhere/hello:1.0.0", c.registry+"/acme/hello:1.0.0")

	out := cl.refused("mpak", []string{"bundle", "pull", b.host + "/acme/hello:1.0.0", "-o", t.TempDir() + "/"},
		"was published as "+published, "now names "+moved, "@"+published)
	t.Logf("mpak pull of the moved tag:\n%s", out)
	for i, n := range c.nodes {
		v, err := n.catalog.Version(context.Background(), "acme/hello", "1.0.0")
		if err != nil || v.Digest != published {
			t.Errorf("replica %d's catalog: %+v, %v; want the published %s kept", i, v, err, published)
		}
	}
	if _, err := a.catalog.Version(context.Background(), "acme/hello", "1.0.0"); err != nil {
		t.Fatal(err)
	}
	cl.refused("oras", []string{"pull", "--plain-http", "-o", t.TempDir(), a.host + "/acme/hello:1.0.0"}, "bypassed mpakd")
	cl.refused("crane", []string{"manifest", "--insecure", c.nodes[2].host + "/acme/hello:1.0.0"}, "bypassed mpakd")

	dir := t.TempDir()
	cl.ok("mpak", "bundle", "pull", a.host+"/acme/hello@"+published, "-o", dir+"/")
	pulled, _ := filepath.Glob(filepath.Join(dir, "*.mcpb"))
	if len(pulled) != 1 || fileSHA(t, pulled[0]) != fileSHA(t, hello) {
		t.Errorf("pull by the published digest gave %v, want the published bytes", pulled)
	}

	reports, err := b.srv.Sync(context.Background(), []string{"acme/hello"})
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 1 || len(reports[0].Tampered) != 1 || reports[0].Tampered[0].Found != moved {
		t.Errorf("sync reports %+v, want 1.0.0 tampered, found at %s", reports, moved)
	}
	diffs, _, err := c.nodes[2].srv.Fsck(context.Background(), []string{"acme/hello"})
	if err != nil || len(diffs) != 1 || !strings.Contains(diffs[0].Problem, "the tag holds "+moved) {
		t.Errorf("fsck: %v (%v), want the moved tag", diffs, err)
	}

	// The operator restores the tag: the version is whole again.
	cl.ok("crane", "copy", "--insecure", c.registry+"/acme/hello@"+published, c.registry+"/acme/hello:1.0.0")
	if _, err := a.srv.Sync(context.Background(), []string{"acme/hello"}); err != nil {
		t.Fatal(err)
	}
	cl.ok("mpak", "bundle", "pull", b.host+"/acme/hello:1.0.0", "-o", t.TempDir()+"/")
	// What was pushed straight to the registry and never announced is a
	// difference too, until a sync catalogues it.
	diffs, _, err = a.srv.Fsck(context.Background(), nil)
	if err != nil || len(diffs) != 1 || diffs[0].Repository != "elsewhere/hello" || !strings.Contains(diffs[0].Problem, "does not list it") {
		t.Errorf("fsck after the restore: %v, %v; want elsewhere/hello missing from the catalog, nothing else", diffs, err)
	}
	if _, err := a.srv.Sync(context.Background(), []string{"elsewhere/hello"}); err != nil {
		t.Fatal(err)
	}
	if diffs, _, err := c.nodes[2].srv.Fsck(context.Background(), nil); err != nil || len(diffs) != 0 {
		t.Errorf("fsck after syncing: %v, %v; want no difference", diffs, err)
	}
}
