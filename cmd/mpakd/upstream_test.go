package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/bundle/bundletest"
	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/registry/embedded"
)

// In upstream mode mpakd proxies /v2/ to an existing registry: pushes and
// pulls through it are indexed and counted, and pushes made directly to
// the upstream arrive through its notification webhook.
func TestUpstreamMode(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	up, err := embedded.New(context.Background(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	upstream := httptest.NewServer(up)
	defer upstream.Close()
	defer up.Close()
	upHost := strings.TrimPrefix(upstream.URL, "http://")

	data := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	stop := start(t, "--upstream", upstream.URL, "--hooks-secret", "s3cret", "--data", data, "--addr", addr)
	defer stop()

	// Through mpakd: indexed when the push returns, and counted on pull.
	pushVersion(t, addr, "acme/proxied", "proxied", "1.0.0")
	r, _ := ref.Parse(addr+"/acme/proxied", ref.Defaults{})
	repo, err := connect.Options{}.Repository(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Pull(context.Background(), repo, bundletest.Resolve(t, repo, "1.0.0"), bundle.PullOptions{Output: t.TempDir()}); err != nil {
		t.Fatalf("pull through the proxy: %v", err)
	}
	c := &catalogapi.Client{BaseURL: "http://" + addr}
	waitFor(t, func() bool {
		b, err := c.Bundle(context.Background(), "acme/proxied")
		return err == nil && b.Downloads == 1
	}, "the pull through mpakd to be counted once")

	// Straight to the upstream, then its notification.
	pushVersion(t, upHost, "acme/direct", "direct", "2.0.0")
	event := fmt.Sprintf(`{"events":[{"id":"e1","timestamp":"2026-11-24T10:00:00Z","action":"push",
"target":{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:%064d","size":1,"repository":"acme/direct","tag":"2.0.0"},
"request":{"id":"r1","method":"PUT","host":%q}}]}`, 0, upHost)
	post := func(secret string) int {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/hooks/distribution", strings.NewReader(event))
		req.Header.Set("Content-Type", "application/vnd.docker.distribution.events.v2+json")
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("wrong"); code != http.StatusUnauthorized {
		t.Fatalf("bad secret: %d, want 401", code)
	}
	if _, err := c.Bundle(context.Background(), "acme/direct"); err == nil {
		t.Fatal("a rejected event was indexed")
	}
	if code := post("s3cret"); code != http.StatusOK {
		t.Fatalf("notification: %d, want 200", code)
	}
	b, err := c.Bundle(context.Background(), "acme/direct")
	if err != nil || b.Latest != "2.0.0" {
		t.Fatalf("after the notification: %+v, %v", b, err)
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
