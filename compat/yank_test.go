package compat

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
)

// TestYankThroughMpakd: a version yanked with the mpak CLI through one
// replica is yanked in every replica's catalog at once (the yank record is
// a referrer, indexed when its push returns): latest skips it in the API
// and for mpak, an exact pin still pulls it with a warning, and --undo
// restores it.
func TestYankThroughMpakd(t *testing.T) {
	for _, setup := range setups {
		t.Run(setup.name, func(t *testing.T) {
			c := setup.start(t)
			first, last := c.nodes[0], c.nodes[len(c.nodes)-1]
			cl := newCLI(t, first.host, "mpak")
			cl.push(first.host+"/acme/hello", mcpbtest.Pack(t, "hello", "1.0.0", ""))
			cl.push(first.host+"/acme/hello", mcpbtest.Pack(t, "hello", "1.1.0", ""))

			cl.ok("mpak", "bundle", "yank", last.host+"/acme/hello:1.1.0", "--reason", "leaks the API token in its logs")
			for i, n := range c.nodes {
				b, err := n.catalog.Bundle(context.Background(), "acme/hello")
				if err != nil || b.Latest != "1.0.0" {
					t.Errorf("node %d: latest %v (%v), want 1.0.0 with 1.1.0 yanked", i, latestOf(b), err)
				}
				var v struct {
					Yanked     bool   `json:"yanked"`
					YankReason string `json:"yank_reason"`
				}
				getJSON(t, "http://"+n.host+"/v1/bundles/@acme/hello/versions/1.1.0", &v)
				if !v.Yanked || v.YankReason != "leaks the API token in its logs" {
					t.Errorf("node %d: 1.1.0 is %+v, want yanked with the reason", i, v)
				}
			}
			dir := t.TempDir()
			cl.ok("mpak", "bundle", "pull", first.host+"/acme/hello", "-o", dir+"/")
			if got, _ := filepath.Glob(filepath.Join(dir, "*1.0.0*")); len(got) != 1 {
				t.Errorf("pull of latest wrote %v, want 1.0.0", got)
			}
			if out := cl.ok("mpak", "bundle", "pull", first.host+"/acme/hello:1.1.0", "-o", t.TempDir()+"/"); !strings.Contains(out, "yanked: leaks the API token") {
				t.Errorf("pull of the yanked version pinned exactly does not warn:\n%s", out)
			}

			cl.ok("mpak", "bundle", "yank", "--undo", first.host+"/acme/hello:1.1.0")
			for i, n := range c.nodes {
				if b, err := n.catalog.Bundle(context.Background(), "acme/hello"); err != nil || b.Latest != "1.1.0" {
					t.Errorf("node %d after --undo: latest %v (%v), want 1.1.0", i, latestOf(b), err)
				}
			}
		})
	}
}

func latestOf(b *catalogapi.BundleDetail) string {
	if b == nil {
		return "none"
	}
	return b.Latest
}
