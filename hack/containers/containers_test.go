//go:build docker

// The suite runs mpakd the way enterprises deploy it, as containers next
// to their registry: the FROM-scratch images of hack/images (make images),
// a private Docker network, volumes, restarts and outages. .ci/run starts a
// Docker engine first; without one the suite fails in CI and skips loudly
// elsewhere.
package containers

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ory/dockertest/v3"
	"github.com/ory/dockertest/v3/docker"
	"golang.org/x/crypto/bcrypt"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/internal/testenv"
	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
)

const (
	tag      = "dev"
	user     = "alice"
	password = "wonderland"
	secret   = "s3cret"
)

func pool(t *testing.T) *dockertest.Pool {
	t.Helper()
	p, err := dockertest.NewPool("")
	if err == nil {
		err = p.Client.Ping()
	}
	if err != nil {
		testenv.Missing(t, fmt.Sprintf("no Docker engine reachable (%v): the container suite did NOT run; start dockerd, then make images test-docker", err))
	}
	for _, image := range []string{"mpak/mpakd", "mpak/registry"} {
		if _, err := p.Client.InspectImage(image + ":" + tag); err != nil {
			t.Fatalf("image %s:%s is missing: run make images first (%v)", image, tag, err)
		}
	}
	p.MaxWait = 60 * time.Second
	return p
}

// hostPort is where a container's 5000/tcp is published on the host.
func hostPort(r *dockertest.Resource) string { return "127.0.0.1:" + r.GetPort("5000/tcp") }

func waitHealthy(t *testing.T, p *dockertest.Pool, addr string) {
	t.Helper()
	if err := p.Retry(func() error {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			return fmt.Errorf("%s", resp.Status)
		}
		return nil
	}); err != nil {
		t.Fatalf("%s did not come up: %v", addr, err)
	}
}

// publish pushes acme/weather@version to addr with opts' credentials.
func publish(t *testing.T, addr, version string, opts connect.Options) {
	t.Helper()
	plan, err := bundle.Prepare([]bundle.File{{Path: mcpbtest.Pack(t, "weather", version, ""), Platform: mediatypes.AnyPlatform}}, bundle.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := ref.Parse(addr+"/acme/weather", ref.Defaults{})
	repo, err := opts.Repository(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Push(context.Background(), repo, plan, version, bundle.PushOptions{}); err != nil {
		t.Fatalf("push to %s: %v", addr, err)
	}
}

func pull(addr, version string, opts connect.Options, out string) error {
	r, _ := ref.Parse(addr+"/acme/weather", ref.Defaults{})
	repo, err := opts.Repository(r)
	if err != nil {
		return err
	}
	v, err := bundle.Resolve(context.Background(), repo, version)
	if err != nil {
		return err
	}
	_, err = bundle.Pull(context.Background(), repo, v, bundle.PullOptions{Output: out, Force: true})
	return err
}

func wantDownloads(t *testing.T, addr string, want int64) {
	t.Helper()
	c := &catalogapi.Client{BaseURL: "http://" + addr}
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := c.Bundle(context.Background(), "acme/weather")
		if err == nil && b.Downloads == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("downloads at %s: %+v (%v), want %d", addr, b, err, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestEmbeddedContainer: the mpakd image alone is a registry: push, pull,
// search, exact counts, and a restart keeps the catalog and the counts
// (they live in the volume).
func TestEmbeddedContainer(t *testing.T) {
	p := pool(t)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	volume := fmt.Sprintf("mpak-test-%d", time.Now().UnixNano())
	mpakd, err := p.RunWithOptions(&dockertest.RunOptions{Repository: "mpak/mpakd", Tag: tag, Mounts: []string{volume + ":/data"}},
		func(hc *docker.HostConfig) { hc.AutoRemove = false })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Purge(mpakd)
		p.Client.RemoveVolume(volume)
	})
	addr := hostPort(mpakd)
	waitHealthy(t, p, addr)

	publish(t, addr, "1.0.0", connect.Options{})
	for range 3 {
		if err := pull(addr, "1.0.0", connect.Options{}, t.TempDir()); err != nil {
			t.Fatal(err)
		}
	}
	wantDownloads(t, addr, 3)
	res, err := (&catalogapi.Client{BaseURL: "http://" + addr}).Search(context.Background(), catalogapi.Query{Text: "weather"})
	if err != nil || res.Total != 1 {
		t.Fatalf("search: %+v, %v", res, err)
	}

	if err := p.Client.RestartContainer(mpakd.Container.ID, 10); err != nil {
		t.Fatal(err)
	}
	// The published port may change with the restart.
	if mpakd.Container, err = p.Client.InspectContainer(mpakd.Container.ID); err != nil {
		t.Fatal(err)
	}
	addr = hostPort(mpakd)
	waitHealthy(t, p, addr)
	wantDownloads(t, addr, 3)
	if err := pull(addr, "1.0.0", connect.Options{}, t.TempDir()); err != nil {
		t.Fatalf("pull after the restart: %v", err)
	}
	wantDownloads(t, addr, 4)
	info, err := p.Client.InspectContainer(mpakd.Container.ID)
	if err != nil || info.Config.User != "65532:65532" {
		t.Errorf("container user %q (%v), want the non-root 65532:65532", info.Config.User, err)
	}
}

// TestUpstreamContainers: a registry container with htpasswd auth notifies
// an mpakd container in --upstream mode on a private network. mpak on the
// host pushes with credentials from a docker config file, pulls through
// mpakd and directly; counts are exact; a registry outage is a clear
// error, nothing is corrupted, and pulls recover when it is back.
func TestUpstreamContainers(t *testing.T) {
	p := pool(t)
	network, err := p.CreateNetwork(fmt.Sprintf("mpak-test-%d", time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.RemoveNetwork(network) })

	mpakdName := fmt.Sprintf("mpakd-%d", time.Now().UnixNano())
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	hash, _ := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	os.WriteFile(filepath.Join(dir, "htpasswd"), []byte(user+":"+string(hash)+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "config.yml"), []byte(`version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
auth:
  htpasswd:
    realm: registry
    path: /etc/registry/htpasswd
notifications:
  endpoints:
    - name: mpakd
      url: http://`+mpakdName+`:5000/hooks/distribution
      headers:
        Authorization: [Bearer `+secret+`]
      timeout: 2s
      threshold: 3
      backoff: 200ms
`), 0o644)
	registry, err := p.RunWithOptions(&dockertest.RunOptions{Repository: "mpak/registry", Tag: tag, Name: fmt.Sprintf("registry-%d", time.Now().UnixNano()),
		Networks: []*dockertest.Network{network}, Mounts: []string{dir + "/config.yml:/etc/registry/config.yml:ro", dir + "/htpasswd:/etc/registry/htpasswd:ro"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Purge(registry) })
	regName := strings.TrimPrefix(registry.Container.Name, "/")
	volume := mpakdName + "-data"
	mpakd, err := p.RunWithOptions(&dockertest.RunOptions{Repository: "mpak/mpakd", Tag: tag, Name: mpakdName, Networks: []*dockertest.Network{network},
		Env:    []string{"MPAKD_UPSTREAM_PASSWORD=" + password, "MPAKD_HOOKS_SECRET=" + secret},
		Mounts: []string{volume + ":/data"},
		Cmd: []string{"serve", "--addr", "0.0.0.0:5000", "--data", "/data", "--insecure-no-auth", "--upstream", "http://" + regName + ":5000",
			"--upstream-plain-http", "--upstream-username", user}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Purge(mpakd)
		p.Client.RemoveVolume(volume)
	})
	// Cleanups run last-in first-out: the logs are read before the
	// containers go.
	logsOnFailure(t, p, registry, mpakd)
	regAddr, mpakdAddr := hostPort(registry), hostPort(mpakd)
	waitHealthy(t, p, regAddr)
	waitHealthy(t, p, mpakdAddr)

	// Credentials for both hosts in a docker config file, as docker login
	// writes them.
	cfg := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	os.WriteFile(filepath.Join(cfg, "config.json"), []byte(fmt.Sprintf(`{"auths":{%q:{"auth":%q},%q:{"auth":%q}}}`, regAddr, auth, mpakdAddr, auth)), 0o600)
	t.Setenv("DOCKER_CONFIG", cfg)
	opts := connect.Options{}

	publish(t, regAddr, "1.0.0", opts) // straight to the registry: indexed from its notification
	c := &catalogapi.Client{BaseURL: "http://" + mpakdAddr}
	if err := p.Retry(func() error { _, err := c.Version(context.Background(), "acme/weather", "1.0.0"); return err }); err != nil {
		t.Fatalf("the registry's notification did not index 1.0.0: %v", err)
	}
	for range 2 {
		if err := pull(mpakdAddr, "1.0.0", opts, t.TempDir()); err != nil {
			t.Fatalf("pull through mpakd: %v", err)
		}
	}
	if err := pull(regAddr, "1.0.0", opts, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	wantDownloads(t, mpakdAddr, 3) // 2 through mpakd + 1 reported by the registry, none twice
	if res, err := c.Search(context.Background(), catalogapi.Query{Text: "weather"}); err != nil || res.Total != 1 {
		t.Fatalf("search through the upstream-mode mpakd: %+v, %v", res, err)
	}

	// A restart keeps the catalog and the counts (the volume).
	if err := p.Client.RestartContainer(mpakd.Container.ID, 10); err != nil {
		t.Fatal(err)
	}
	if mpakd.Container, err = p.Client.InspectContainer(mpakd.Container.ID); err != nil {
		t.Fatal(err)
	}
	if newAddr := hostPort(mpakd); newAddr != mpakdAddr {
		mpakdAddr = newAddr
		auths := fmt.Sprintf(`{"auths":{%q:{"auth":%q},%q:{"auth":%q}}}`, regAddr, auth, mpakdAddr, auth)
		os.WriteFile(filepath.Join(cfg, "config.json"), []byte(auths), 0o600)
		c = &catalogapi.Client{BaseURL: "http://" + mpakdAddr}
	}
	waitHealthy(t, p, mpakdAddr)
	wantDownloads(t, mpakdAddr, 3)

	// Outage: a clear error, the catalog still answers, then recovery.
	if err := p.Client.StopContainer(registry.Container.ID, 10); err != nil {
		t.Fatal(err)
	}
	err = pull(mpakdAddr, "1.0.0", opts, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "upstream") {
		t.Errorf("pull with the registry down: %v, want an error naming the upstream", err)
	}
	if _, err := c.Version(context.Background(), "acme/weather", "1.0.0"); err != nil {
		t.Errorf("the catalog with the registry down: %v", err)
	}
	if err := p.Client.StartContainer(registry.Container.ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.Retry(func() error { return pull(mpakdAddr, "1.0.0", opts, t.TempDir()) }); err != nil {
		t.Fatalf("pull after the registry came back: %v", err)
	}
	wantDownloads(t, mpakdAddr, 4)
}

// logsOnFailure prints the containers' logs when t fails: a failure
// across two containers and a notification is otherwise a guess.
func logsOnFailure(t *testing.T, p *dockertest.Pool, rs ...*dockertest.Resource) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, r := range rs {
			var out strings.Builder
			err := p.Client.Logs(docker.LogsOptions{Container: r.Container.ID, OutputStream: &out, ErrorStream: &out,
				Stdout: true, Stderr: true, Tail: "200"})
			t.Logf("logs of %s (err %v):\n%s", r.Container.Name, err, out.String())
		}
	})
}
