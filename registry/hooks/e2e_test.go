package hooks_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory" // registers "inmemory"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sirupsen/logrus"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/registry/hooks"
)

// TestDistributionDelivers runs a distribution/v3 registry configured to
// notify the hooks, as an operator would configure theirs, pushes and pulls
// with oras-go, and waits for the events to arrive.
func TestDistributionDelivers(t *testing.T) {
	ctx := context.Background()
	var c calls
	hooksSrv := httptest.NewServer(hooks.New(c.options()))
	t.Cleanup(hooksSrv.Close)

	logrus.SetLevel(logrus.FatalLevel) // distribution logs every 404
	yaml := fmt.Sprintf(`version: 0.1
log:
  level: error
storage:
  inmemory: {}
http:
  secret: test-secret
notifications:
  endpoints:
    - name: mpakd
      url: %s/hooks/distribution
      headers:
        Authorization: [Bearer %s]
      timeout: 2s
      threshold: 3
      backoff: 100ms
`, hooksSrv.URL, secret)
	cfg, err := configuration.Parse(strings.NewReader(yaml))
	if err != nil {
		t.Fatal(err)
	}
	app := handlers.NewApp(ctx, cfg)
	reg := httptest.NewServer(app)
	t.Cleanup(func() {
		reg.Close()
		_ = app.Shutdown()
	})

	repo, err := remote.NewRepository(strings.TrimPrefix(reg.URL, "http://") + "/acme/weather")
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	data := []byte("bundle bytes")
	layer := content.NewDescriptorFromBytes("application/vnd.example.layer", data)
	if err := repo.Push(ctx, layer, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	manifest, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, "application/vnd.example.artifact",
		oras.PackManifestOptions{Layers: []ocispec.Descriptor{layer}})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Tag(ctx, manifest, "1.2.3"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "push acme/weather:1.2.3", &c)

	rc, err := repo.Fetch(ctx, layer)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(io.Discard, rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "pull acme/weather@"+layer.Digest.String(), &c)

	// The push of the manifest by digest, the blob pushes and the HEADs
	// oras sends before each push acted on nothing.
	if got := c.list(); len(got) != 2 {
		t.Errorf("callbacks fired %q, want exactly the tag push and the blob GET", got)
	}
}

// waitFor polls until the callback fired: distribution delivers
// asynchronously.
func waitFor(t testing.TB, want string, c *calls) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Contains(c.list(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("%q not delivered within 10s; callbacks so far: %q", want, c.list())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
