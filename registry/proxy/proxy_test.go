package proxy_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/memory"
)

// TestPushPull pushes an artifact through the proxy with oras-go and pulls
// it back, against an upstream that honours X-Forwarded-Host and one that
// builds upload URLs from its own address.
func TestPushPull(t *testing.T) {
	for _, tc := range []struct {
		name         string
		absoluteURLs bool
	}{{"forwarded-host", false}, {"upstream-host", true}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			up := upstream(t, tc.absoluteURLs)
			px := startProxy(t, up, nil)
			repo := repository(t, px, "acme/weather")

			data := []byte("a small layer")
			layer := content.NewDescriptorFromBytes("application/vnd.example.layer", data)
			if err := repo.Push(ctx, layer, bytes.NewReader(data)); err != nil {
				t.Fatalf("pushing a blob through the proxy: %v", err)
			}
			manifest, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, "application/vnd.example.artifact",
				oras.PackManifestOptions{Layers: []ocispec.Descriptor{layer}})
			if err != nil {
				t.Fatalf("pushing a manifest through the proxy: %v", err)
			}
			if err := repo.Tag(ctx, manifest, "1.0.0"); err != nil {
				t.Fatalf("tagging through the proxy: %v", err)
			}

			// The upstream has it: the proxy stored nothing itself.
			if got, err := repository(t, up, "acme/weather").Resolve(ctx, "1.0.0"); err != nil || got.Digest != manifest.Digest {
				t.Fatalf("upstream resolves 1.0.0 to %v, %v; want %s", got.Digest, err, manifest.Digest)
			}

			dst := memory.New()
			if _, err := oras.Copy(ctx, repository(t, px, "acme/weather"), "1.0.0", dst, "1.0.0", oras.DefaultCopyOptions); err != nil {
				t.Fatalf("pulling through the proxy: %v", err)
			}
			got, err := content.FetchAll(ctx, dst, layer)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("pulled layer %q, %v; want %q", got, err, data)
			}
		})
	}
}

// TestAnonymousGetsUpstreamChallenge checks that a client without
// credentials is challenged exactly as the upstream challenges it, so that
// it logs in to the upstream's realm.
func TestAnonymousGetsUpstreamChallenge(t *testing.T) {
	up := upstream(t, false)
	px := startProxy(t, up, nil)
	for _, path := range []string{"/v2/", "/v2/acme/weather/tags/list"} {
		direct, _ := get(t, up.URL+path)
		proxied, body := get(t, px.URL+path)
		if proxied.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s through the proxy: status %d, want 401", path, proxied.StatusCode)
		}
		want := `Basic realm="` + realm + `"`
		if got := proxied.Header.Get("WWW-Authenticate"); got != want || got != direct.Header.Get("WWW-Authenticate") {
			t.Errorf("GET %s: WWW-Authenticate %q through the proxy, %q direct; want %q", path, got, direct.Header.Get("WWW-Authenticate"), want)
		}
		if !bytes.Contains(body, []byte("UNAUTHORIZED")) {
			t.Errorf("GET %s: body %s, want the upstream's UNAUTHORIZED error", path, body)
		}
	}
}

// TestOnlyV2 checks that paths outside the distribution API stay local.
func TestOnlyV2(t *testing.T) {
	up := upstream(t, false)
	px := startProxy(t, up, nil)
	resp, body := get(t, px.URL+"/v1/bundles/search")
	if resp.StatusCode != http.StatusNotFound || !bytes.Contains(body, []byte("/v2/")) {
		t.Errorf("GET /v1/bundles/search: %d %s, want 404 naming /v2/", resp.StatusCode, body)
	}
}

func get(t testing.TB, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}
