package compat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"oras.land/oras-go/v2/registry/remote"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mpak-oci/mpak/cache"
	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/install"
	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/bundle/bundletest"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/oci/sign"
	"github.com/mpak-oci/mpak/oci/verify"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/registrytest"
	"github.com/mpak-oci/mpak/registry/server"
	"github.com/mpak-oci/mpak/scan"
	"github.com/mpak-oci/mpak/scanlevel"
)

// kind is a registry of the matrix. harbor is set for the Harbor-like one,
// whose webhooks mpakd can receive.
type kind struct {
	name   string
	start  func(t *testing.T) (host string, harbor *registrytest.HarborLike)
	events bool // the registry tells mpakd about pushes and pulls
}

var kinds = []kind{
	{name: "distribution", start: func(t *testing.T) (string, *registrytest.HarborLike) { return registrytest.Distribution(t), nil }},
	{name: "ghcr-like", start: func(t *testing.T) (string, *registrytest.HarborLike) { return registrytest.GHCRLike(t), nil }},
	{name: "harbor-like", events: true, start: func(t *testing.T) (string, *registrytest.HarborLike) {
		h := registrytest.NewHarborLike(t)
		return h.Host, h
	}},
	{name: "ggcr-referrers", start: func(t *testing.T) (string, *registrytest.HarborLike) { return registrytest.GGCR(t, true), nil }},
}

// published is a two-platform version pushed to a registry.
type published struct {
	host  string
	repo  *remote.Repository
	plan  *bundle.Plan
	files map[string]string // platform → .mcpb path
}

func publish(t *testing.T, host, repository string) *published {
	t.Helper()
	p := &published{host: host, files: map[string]string{}}
	var files []bundle.File
	for _, pl := range []string{"linux/amd64", "darwin/arm64"} {
		platform, _ := mediatypes.ParsePlatform(pl)
		path := mcpbtest.Pack(t, "weather", "1.0.0", pl)
		p.files[pl] = path
		files = append(files, bundle.File{Path: path, Platform: platform})
	}
	plan, err := bundle.Prepare(files, bundle.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.plan = plan
	p.repo = repo(t, host, repository)
	if _, err := bundle.Push(context.Background(), p.repo, plan, "1.0.0", bundle.PushOptions{}); err != nil {
		t.Fatalf("push: %v", err)
	}
	return p
}

func repo(t *testing.T, host, repository string) *remote.Repository {
	t.Helper()
	r, err := remote.NewRepository(host + "/" + repository)
	if err != nil {
		t.Fatal(err)
	}
	r.PlainHTTP = true
	return r
}

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil))
}

func TestMatrix(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Run("push-pull-install", func(t *testing.T) { pushPullInstall(t, k) })
			t.Run("sign-verify", func(t *testing.T) { signVerify(t, k) })
			t.Run("scan-attach", func(t *testing.T) { scanAttach(t, k) })
			t.Run("mpakd-index-stats", func(t *testing.T) { indexStats(t, k) })
		})
	}
}

// pushPullInstall: the platform's build comes back byte for byte, and
// installs into the cache the way mpak run starts it.
func pushPullInstall(t *testing.T, k kind) {
	host, _ := k.start(t)
	p := publish(t, host, "acme/weather")
	darwin, _ := mediatypes.ParsePlatform("darwin/arm64")
	res, err := bundle.Pull(context.Background(), p.repo, bundletest.Resolve(t, p.repo, "1.0.0"), bundle.PullOptions{Platform: darwin, Output: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fileSHA(t, res.Path), fileSHA(t, p.files["darwin/arm64"]); got != want {
		t.Errorf("pulled sha256 %s, pushed %s", got, want)
	}
	c, err := cache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, _ := ref.Parse(host+"/acme/weather@^1", ref.Defaults{})
	linux, _ := mediatypes.ParsePlatform("linux/amd64")
	inst, err := install.Install(context.Background(), r, install.Options{Cache: c, Platform: linux})
	if err != nil {
		t.Fatal(err)
	}
	if inst.Manifest.Version != "1.0.0" || inst.Platform != linux || inst.Digest != p.plan.Index.Digest {
		t.Errorf("installed %s %s %s, want 1.0.0 linux/amd64 %s", inst.Manifest.Version, inst.Platform, inst.Digest, p.plan.Index.Digest)
	}
}

// signVerify: mpak's signature (legacy tag and sigstore bundle) verifies.
func signVerify(t *testing.T, k kind) {
	host, _ := k.start(t)
	p := publish(t, host, "acme/weather")
	keys, _ := sign.GenerateKeyPair(nil)
	sv, _ := sign.LoadPrivateKey(keys.Private, nil)
	pub, _ := sign.LoadPublicKey(keys.Public)
	d, err := name.NewDigest(host + "/acme/weather@" + p.plan.Index.Digest.String())
	if err != nil {
		t.Fatal(err)
	}
	reg := sign.Registry{Referrers: p.repo}
	if _, err := sign.Sign(context.Background(), reg, d, p.plan.Index, sv, sign.SignOptions{}); err != nil {
		t.Fatal(err)
	}
	res, _, err := sign.Verify(context.Background(), sign.Registry{Referrers: repo(t, host, "acme/weather")}, d, p.plan.Index, pub)
	if err != nil || len(res) != 2 {
		t.Errorf("verified %d (%v), want the cosign signature and the sigstore bundle", len(res), err)
	}
}

// scanAttach: a report attached unsigned is a claim; attached with a
// signed verdict it is the level, on every kind of registry.
func scanAttach(t *testing.T, k kind) {
	host, _ := k.start(t)
	p := publish(t, host, "acme/weather")
	a, err := mcpb.Open(p.files["linux/amd64"], mcpb.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	report, err := scan.Scan(context.Background(), a, scan.Options{MaxLevel: 1})
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := sign.GenerateKeyPair(nil)
	sv, _ := sign.LoadPrivateKey(keys.Private, nil)
	pub, _ := verify.ParseKey(keys.Public)
	r := repo(t, host, "acme/weather")
	if _, err := report.Attach(context.Background(), p.repo, p.plan.Index, scan.AttachOptions{}); err != nil {
		t.Fatal(err)
	}
	v, err := scanlevel.Decide(context.Background(), r, p.plan.Index, []verify.Key{pub})
	if err != nil || v.Verified() || v.Claimed != report.Level {
		t.Errorf("unsigned report read back as %+v (%v), want an unverified claim of L%d", v, err, report.Level)
	}
	if _, err := report.Attach(context.Background(), p.repo, p.plan.Index, scan.AttachOptions{Signer: sv, Name: host + "/acme/weather"}); err != nil {
		t.Fatal(err)
	}
	v, err = scanlevel.Decide(context.Background(), r, p.plan.Index, []verify.Key{pub})
	if err != nil || !v.Verified() || v.Level != report.Level || v.Report.Digest == "" {
		t.Errorf("signed verdict read back as %+v (%v), want verified L%d with its report", v, err, report.Level)
	}
}

// indexStats: mpakd in front of the registry indexes the version (from
// the registry's webhooks where it sends them, else by name) and counts
// pulls through it exactly, and direct ones where the registry reports them.
func indexStats(t *testing.T, k kind) {
	host, harbor := k.start(t)
	const secret = "s3cret"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if harbor != nil {
		harbor.Webhook, harbor.Secret = "http://"+addr+"/hooks/harbor", secret
	}
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("http://" + host)
	srv, err := server.New(context.Background(), server.Options{DataDir: t.TempDir(), Store: store, Upstream: u,
		HooksSecret: secret, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		store.Close()
	})
	publish(t, host, "acme/weather") // straight to the registry
	if !k.events {
		if _, err := srv.Sync(context.Background(), []string{"acme/weather"}); err != nil {
			t.Fatalf("mpakd sync: %v", err)
		}
	}
	c := &catalogapi.Client{BaseURL: "http://" + addr}
	v, err := c.Version(context.Background(), "acme/weather", "1.0.0")
	if err != nil || len(v.Builds) != 2 {
		t.Fatalf("indexed %+v, %v; want 1.0.0 with two builds", v, err)
	}
	linux, _ := mediatypes.ParsePlatform("linux/amd64")
	pull := func(h string) {
		if _, err := bundle.Pull(context.Background(), repo(t, h, "acme/weather"), bundletest.Resolve(t, repo(t, h, "acme/weather"), "1.0.0"), bundle.PullOptions{Platform: linux, Output: t.TempDir()}); err != nil {
			t.Fatal(err)
		}
	}
	// Harbor's payloads do not say which pulls came through mpakd, so a
	// deployment counts either through mpakd or from Harbor's pull events
	// (README): the proxied pulls are made with pull events off.
	if harbor != nil {
		harbor.NoPullEvents = true
	}
	pull(addr)
	pull(addr)
	wantDownloads(t, c, 2)
	if harbor != nil {
		harbor.NoPullEvents = false
		pull(host) // straight from the registry, reported by PULL_ARTIFACT
		wantDownloads(t, c, 3)
	}
}

func wantDownloads(t *testing.T, c *catalogapi.Client, want int64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		b, err := c.Bundle(context.Background(), "acme/weather")
		if err == nil && b.Downloads == want {
			return
		}
		if time.Now().After(deadline) {
			got := int64(-1)
			if b != nil {
				got = b.Downloads
			}
			t.Fatalf("downloads %d (%v), want %d", got, err, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
