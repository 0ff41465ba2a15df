package install_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mpak-oci/mpak/cache"
	"github.com/mpak-oci/mpak/install"
	"github.com/mpak-oci/mpak/lock"
	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

var ctx = context.Background()

func publish(t *testing.T, host, version string) {
	t.Helper()
	out := mcpbtest.Pack(t, "tool", version, version)
	plan, err := bundle.Prepare([]bundle.File{{Path: out, Platform: mediatypes.AnyPlatform}}, bundle.PrepareOptions{})
	must(t, err)
	r, _ := ref.Parse(host+"/acme/tool", ref.Defaults{})
	repo, err := connect.Options{}.Repository(r)
	must(t, err)
	_, err = bundle.Push(ctx, repo, plan, version, bundle.PushOptions{})
	must(t, err)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func parse(t *testing.T, s string) ref.Reference {
	t.Helper()
	r, err := ref.Parse(s, ref.Defaults{})
	must(t, err)
	return r
}

func TestWhenTheRegistryIsAsked(t *testing.T) {
	host := registrytest.Distribution(t)
	publish(t, host, "1.0.0")
	publish(t, host, "1.1.0")
	c, err := cache.Open(t.TempDir())
	must(t, err)
	opts := install.Options{Cache: c}

	first, err := install.Install(ctx, parse(t, host+"/acme/tool@^1"), opts)
	must(t, err)
	if first.Cached || first.Tag != "1.1.0" || first.Manifest.Version != "1.1.0" {
		t.Fatalf("first install: cached=%v tag=%s", first.Cached, first.Tag)
	}
	for _, s := range []string{host + "/acme/tool:1.1.0", host + "/acme/tool@" + first.Digest.String()} {
		res, err := install.Install(ctx, parse(t, s), opts)
		must(t, err)
		if !res.Cached || res.Entry.Dir != first.Entry.Dir {
			t.Errorf("%s: cached=%v dir=%s, want the cached entry without the network", s, res.Cached, res.Entry.Dir)
		}
	}
	// A range needs the registry, unless offline, where the cache answers.
	res, err := install.Install(ctx, parse(t, host+"/acme/tool@^1"), opts)
	must(t, err)
	if res.Cached {
		t.Error("a range was answered from the cache while online")
	}
	offline := opts
	offline.Offline = true
	res, err = install.Install(ctx, parse(t, host+"/acme/tool@^1"), offline)
	must(t, err)
	if !res.Cached || res.Tag != "1.1.0" {
		t.Errorf("offline range: cached=%v tag=%s", res.Cached, res.Tag)
	}
	if _, err := install.Install(ctx, parse(t, host+"/acme/tool:1.0.0"), offline); !errors.Is(err, install.ErrOffline) {
		t.Errorf("offline miss: err = %v, want ErrOffline", err)
	}
	update := opts
	update.Update = true
	res, err = install.Install(ctx, parse(t, host+"/acme/tool:1.1.0"), update)
	must(t, err)
	if res.Cached {
		t.Error("--update did not re-resolve")
	}
}

func TestLockNeverMoves(t *testing.T) {
	host := registrytest.Distribution(t)
	publish(t, host, "1.0.0")
	c, err := cache.Open(t.TempDir())
	must(t, err)
	lf := &lock.File{}
	key := host + "/acme/tool@^1"
	opts := install.Options{Cache: c, Lock: lf, LockKey: key}
	first, err := install.Install(ctx, parse(t, key), opts)
	must(t, err)
	lf.Set(key, lock.Entry{Repository: first.Repository, Version: first.Tag, Digest: first.Digest})
	publish(t, host, "1.5.0")
	again, err := install.Install(ctx, parse(t, key), opts)
	must(t, err)
	if again.Digest != first.Digest || again.Manifest.Version != "1.0.0" {
		t.Fatalf("locked install moved to %s (%s)", again.Digest, again.Manifest.Version)
	}

	st, err := install.Outdated(ctx, connect.Options{}, []install.Pinned{{Key: key, Reference: parse(t, key), Current: "1.0.0", Source: "lock"}})
	must(t, err)
	if len(st) != 1 || st[0].Wanted != "1.5.0" || st[0].Latest != "1.5.0" {
		t.Fatalf("outdated = %+v", st)
	}
}

func TestNewer(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{{"1.10.0", "1.9.0", true}, {"1.9.0", "1.10.0", false}, {"1.0.0", "1.0.0", false}, {"", "1.0.0", false}, {"2.0.0", "2.0.0-rc.1", true}} {
		if got := install.Newer(c.a, c.b); got != c.want {
			t.Errorf("Newer(%q, %q) = %v", c.a, c.b, got)
		}
	}
}
