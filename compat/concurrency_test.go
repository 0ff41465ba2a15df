package compat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/registry/catalog/postgres"
	"github.com/mpak-oci/mpak/registry/catalog/postgres/pgtest"
	"github.com/mpak-oci/mpak/registry/registrytest"
	"github.com/mpak-oci/mpak/registry/server"
)

// cluster is mpakd as a client sees it: the nodes to push and pull
// through, and where the registry keeps the tags.
type cluster struct {
	nodes    []*node
	registry string // host whose tags are the truth
}

// setup starts a cluster of a kind.
type setup struct {
	name  string
	start func(t *testing.T) *cluster
}

// setups are the kinds every guarantee is tested on: one mpakd with its
// embedded registry, and replicas sharing a catalog in front of one
// registry.
var setups = []setup{{"embedded", embeddedCluster}, {"three replicas in front of distribution", replicas}}

func embeddedCluster(t *testing.T) *cluster {
	n := startMpakd(t, server.Options{})
	return &cluster{nodes: []*node{n}, registry: n.host}
}

// replicas is three mpakd in front of one distribution/v3 that sends them
// no events, sharing one PostgreSQL catalog: the set-up where, before the
// version lock moved into the database, concurrent pushes had several
// winners and the catalog named other bytes than the tag.
func replicas(t *testing.T) *cluster {
	dsn := pgtest.NewSchema(t)
	up := registrytest.Distribution(t)
	u, _ := url.Parse("http://" + up)
	c := &cluster{registry: up}
	for range 3 {
		store, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		c.nodes = append(c.nodes, startMpakd(t, server.Options{Store: store, Upstream: u}))
	}
	return c
}

// TestConcurrentPushesOfOneVersion: N pushes of one version with N
// different bundles at once, through one mpakd or spread over three
// replicas: exactly one wins, every other is refused as already published,
// and every replica's catalog (JSON API, download API, MCP Registry API)
// names the bytes the tag holds, so pulls of it are counted.
func TestConcurrentPushesOfOneVersion(t *testing.T) {
	for _, setup := range setups {
		t.Run(setup.name+"/20 mpak CLIs", func(t *testing.T) {
			c := setup.start(t)
			cl := newCLI(t, c.nodes[0].host, "mpak")
			const n = 20
			files := distinctBundles(t, n)
			outs, errs := make([]string, n), make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				host := c.nodes[i%len(c.nodes)].host
				wg.Go(func() { outs[i], errs[i] = cl.run("mpak", "bundle", "push", "--json", host+"/acme/conc", files[i]) })
			}
			wg.Wait()
			winner := -1
			for i, err := range errs {
				switch code := exitCode(err); {
				case code == 0 && winner >= 0:
					t.Fatalf("pushes %d and %d both succeeded:\n%s\n%s", winner, i, outs[winner], outs[i])
				case code == 0:
					winner = i
				case code != 2 || !strings.Contains(outs[i], "already published"):
					t.Errorf("push %d: exit %d, want 2 saying the version is already published:\n%s", i, code, outs[i])
				}
			}
			if winner < 0 {
				t.Fatal("no push succeeded")
			}
			var p pushed
			if err := json.Unmarshal([]byte(outs[winner][strings.Index(outs[winner], "{"):]), &p); err != nil {
				t.Fatal(err)
			}
			c.wantCatalogIsTag(t, cl, p.Digest, p.Builds[0].Bundle)
		})
		t.Run(setup.name+"/100 library pushes", func(t *testing.T) {
			c := setup.start(t)
			const n = 100
			files := distinctBundles(t, n)
			plans, errs := make([]*bundle.Plan, n), make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				plan, err := bundle.Prepare([]bundle.File{{Path: files[i], Platform: mediatypes.AnyPlatform}}, bundle.PrepareOptions{})
				if err != nil {
					t.Fatal(err)
				}
				plans[i] = plan
				target := repo(t, c.nodes[i%len(c.nodes)].host, "acme/conc")
				wg.Go(func() { _, errs[i] = bundle.Push(context.Background(), target, plan, "2.0.0", bundle.PushOptions{}) })
			}
			wg.Wait()
			winner := -1
			for i, err := range errs {
				switch {
				case err == nil && winner >= 0:
					t.Fatalf("pushes %d and %d both succeeded", winner, i)
				case err == nil:
					winner = i
				case !errors.Is(err, bundle.ErrVersionExists):
					t.Errorf("push %d: %v, want the version-exists refusal", i, err)
				}
			}
			if winner < 0 {
				t.Fatal("no push succeeded")
			}
			cl := newCLI(t, c.nodes[0].host, "mpak")
			c.wantCatalogIsTag(t, cl, plans[winner].Index.Digest.String(), plans[winner].Builds[0].Layer.Digest.String())
		})
	}
}

// distinctBundles packs n versions 2.0.0 of acme/conc that differ.
func distinctBundles(t *testing.T, n int) []string {
	files := make([]string, n)
	for i := range files {
		files[i] = mcpbtest.Pack(t, "conc", "2.0.0", fmt.Sprintf("variant %d", i))
	}
	return files
}

// wantCatalogIsTag checks that the tag holds digest and that every node's
// catalog says so, down to the layer the download and MCP Registry APIs
// hand out; then that a pull through each node is counted.
func (c *cluster) wantCatalogIsTag(t *testing.T, cl *cli, digest, layer string) {
	t.Helper()
	tagged, err := repo(t, c.registry, "acme/conc").Resolve(context.Background(), "2.0.0")
	if err != nil || tagged.Digest.String() != digest {
		t.Fatalf("the tag names %s (%v), want the winner's %s", tagged.Digest, err, digest)
	}
	for i, n := range c.nodes {
		v, err := n.catalog.Version(context.Background(), "acme/conc", "2.0.0")
		if err != nil || v.Digest != digest || len(v.Builds) != 1 || v.Builds[0].BundleDigest != layer {
			t.Errorf("node %d's catalog: %+v (%v), want %s with layer %s", i, v, err, digest, layer)
		}
		var dl struct {
			Digest string `json:"digest"`
		}
		getJSON(t, "http://"+n.host+"/v1/bundles/@acme/conc/versions/2.0.0/download", &dl)
		if dl.Digest != layer {
			t.Errorf("node %d's download API hands out %s, want %s", i, dl.Digest, layer)
		}
		var servers struct {
			Servers []struct {
				Server struct {
					Packages []struct {
						FileSHA256 string `json:"fileSha256"`
					} `json:"packages"`
				} `json:"server"`
			} `json:"servers"`
		}
		getJSON(t, "http://"+n.host+"/v0.1/servers?search=conc", &servers)
		found := false
		for _, s := range servers.Servers {
			for _, p := range s.Server.Packages {
				found = found || "sha256:"+p.FileSHA256 == layer
				if p.FileSHA256 != "" && "sha256:"+p.FileSHA256 != layer {
					t.Errorf("node %d's MCP Registry API lists fileSha256 %s, want %s", i, p.FileSHA256, layer)
				}
			}
		}
		if !found {
			t.Errorf("node %d's MCP Registry API does not list the winner's file %s: %+v", i, layer, servers)
		}
	}
	for i, n := range c.nodes {
		cl.ok("mpak", "bundle", "pull", n.host+"/acme/conc:2.0.0", "-o", t.TempDir()+"/")
		want := int64(i + 1)
		deadline := time.Now().Add(10 * time.Second)
		for {
			v, err := n.catalog.Version(context.Background(), "acme/conc", "2.0.0")
			if err == nil && v.Downloads == want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after %d pulls through the nodes, node %d counts %+v (%v)", i+1, i, v, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func getJSON(t *testing.T, u string, out any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}
