package mpak_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mpak-oci/mpak"
	"github.com/mpak-oci/mpak/cache"
	"github.com/mpak-oci/mpak/launch"
	"github.com/mpak-oci/mpak/lock"
	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/oci/verify"
	"github.com/mpak-oci/mpak/policy"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

var ctx = context.Background()

// toolManifest is a binary server with a required, sensitive user_config
// key mapped into its environment.
const toolManifest = `{"manifest_version":"0.3","name":"tool","version":"%s","description":"d","author":{"name":"a"},
"server":{"type":"binary","entry_point":"server/tool","mcp_config":{"command":"${__dirname}/server/tool","args":["--serve"],
"env":{"TOOL_KEY":"${user_config.api_key}"}}},
"user_config":{"api_key":{"type":"string","title":"API key","description":"the key","sensitive":true,"required":true}}}`

// publish pushes acme/tool@version and returns the version's root digest.
func publish(t *testing.T, host, version string) string {
	t.Helper()
	dir := t.TempDir()
	mcpbtest.WriteSource(t, dir, "tool", version, map[string]string{
		"manifest.json": strings.Replace(toolManifest, "%s", version, 1),
		"server/tool":   "#!/bin/sh\n",
	})
	out := filepath.Join(t.TempDir(), "tool.mcpb")
	if _, err := mcpb.PackFile(dir, out, mcpb.PackOptions{}); err != nil {
		t.Fatal(err)
	}
	plan, err := bundle.Prepare([]bundle.File{{Path: out, Platform: mediatypes.AnyPlatform}}, bundle.PrepareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := ref.Parse(host+"/acme/tool", ref.Defaults{})
	repo, err := connect.Options{}.Repository(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Push(ctx, repo, plan, version, bundle.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	return plan.Index.Digest.String()
}

func newClient(t *testing.T, host string, opts mpak.Options) *mpak.Client {
	t.Helper()
	d, err := ref.ParseDefaults(host)
	if err != nil {
		t.Fatal(err)
	}
	opts.Defaults = d
	return mpak.New(opts)
}

// TestPullUsesWhatItResolved: the tag moves between Resolve and the pull;
// the file written is the version resolved.
func TestPullUsesWhatItResolved(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	first := publish(t, host, "1.0.0")
	second := publish(t, host, "2.0.0")
	c := newClient(t, host, mpak.Options{})
	r, err := c.Resolve(ctx, "@acme/tool@1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Version.Root.Digest.String(); got != first {
		t.Fatalf("resolved %s, want %s", got, first)
	}
	// Someone with push rights on a registry without mpakd's guard moves
	// the tag.
	v2, err := r.Repository.Resolve(ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Repository.Tag(ctx, v2, "1.0.0"); err != nil {
		t.Fatal(err)
	}
	res, err := c.PullResolved(ctx, r, mpak.PullOptions{Output: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Version.Root.Digest.String() != first || !strings.Contains(filepath.Base(res.Path), "1.0.0") {
		t.Errorf("pulled %s (%s), want the version resolved, %s", res.Path, res.Version.Root.Digest, first)
	}
}

// TestPolicyBeforeFetch: a version the policy refuses is not written.
func TestPolicyBeforeFetch(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	publish(t, host, "1.0.0")
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := verify.NewKey(priv.Public()) // nothing is signed with it
	if err != nil {
		t.Fatal(err)
	}
	pol := &policy.Policy{RequireSignature: true, Keys: []verify.Key{key}, MemoDir: t.TempDir()}
	out := t.TempDir()
	c := newClient(t, host, mpak.Options{Policy: pol})
	if _, err := c.Pull(ctx, "@acme/tool@1.0.0", mpak.PullOptions{Output: out}); !errors.Is(err, policy.ErrRefused) {
		t.Fatalf("pull of an unsigned version under a signature policy: %v, want ErrRefused", err)
	}
	if files, _ := os.ReadDir(out); len(files) != 0 {
		t.Errorf("a refused pull wrote %v", files)
	}
	cc, err := cache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c = newClient(t, host, mpak.Options{Policy: pol, Cache: cc})
	if _, err := c.Install(ctx, "@acme/tool@1.0.0", mpak.InstallOptions{}); !errors.Is(err, policy.ErrRefused) {
		t.Fatalf("install under a signature policy: %v, want ErrRefused", err)
	}
	if entries, _ := cc.List(); len(entries) != 0 {
		t.Errorf("a refused install cached %d entries", len(entries))
	}
}

// TestInstallAndCommand: an install is cached and pinned in a lock file;
// the command line takes user_config and the inherited environment from
// Options.Environ alone.
func TestInstallAndCommand(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	digest := publish(t, host, "1.0.0")
	cc, err := cache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	lockFile := filepath.Join(t.TempDir(), "mpak.lock")
	environ := []string{"PATH=/opt/bin", "MPAK_USER_CONFIG_API_KEY=from-env"}
	c := newClient(t, host, mpak.Options{Cache: cc, Environ: environ})
	res, err := c.Install(ctx, "@acme/tool@^1", mpak.InstallOptions{LockFile: lockFile})
	if err != nil {
		t.Fatal(err)
	}
	if res.Cached || res.Digest.String() != digest {
		t.Errorf("first install: cached %v, digest %s; want from the registry, %s", res.Cached, res.Digest, digest)
	}
	lf, err := lock.Load(lockFile)
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := lf.Get("@acme/tool@^1"); !ok || e.Digest.String() != digest {
		t.Errorf("lock entry %+v, want %s", e, digest)
	}
	if again, err := c.Install(ctx, "@acme/tool@^1", mpak.InstallOptions{LockFile: lockFile, Offline: true}); err != nil || !again.Cached {
		t.Errorf("locked install offline: %+v, %v; want it from the cache", again, err)
	}

	cmd, err := c.Command(res, mpak.CommandOptions{Args: []string{"--verbose"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(cmd.Path, filepath.Join("server", "tool")) || !slices.Equal(cmd.Args, []string{"--serve", "--verbose"}) {
		t.Errorf("command %s %v, want server/tool --serve --verbose", cmd.Path, cmd.Args)
	}
	if !slices.Contains(cmd.Env, "TOOL_KEY=from-env") || !slices.Contains(cmd.Env, "PATH=/opt/bin") {
		t.Errorf("environment %v, want TOOL_KEY from MPAK_USER_CONFIG_API_KEY and PATH from Options.Environ", cmd.Env)
	}
	flagged, err := c.Command(res, mpak.CommandOptions{Flags: map[string][]string{"api_key": {"from-flag"}}})
	if err != nil || !slices.Contains(flagged.Env, "TOOL_KEY=from-flag") {
		t.Errorf("a flag's value: %v, %v", flagged, err)
	}
	bare := newClient(t, host, mpak.Options{Cache: cc})
	var missing *launch.MissingError
	if _, err := bare.Command(res, mpak.CommandOptions{SetCommand: "mpak config set @acme/tool"}); !errors.As(err, &missing) ||
		!strings.Contains(err.Error(), "mpak config set @acme/tool") {
		t.Errorf("no value for a required key: %v, want a MissingError naming how to set it", err)
	}
}

// TestLockOutdatedUpdate: Lock writes every pin or none, a pin stays
// until Update moves it, and Update installs under the policy like any
// install.
func TestLockOutdatedUpdate(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	publish(t, host, "1.0.0")
	cc, err := cache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	lockFile := filepath.Join(t.TempDir(), "mpak.lock")
	c := newClient(t, host, mpak.Options{Cache: cc})
	// One reference that does not resolve: nothing is written.
	if locked, err := c.Lock(ctx, lockFile, []string{"@acme/tool@^1", "@acme/tool@^7"}); err == nil || len(locked) != 1 {
		t.Fatalf("lock with a range nothing satisfies: %+v, %v; want the first pinned and an error", locked, err)
	}
	if _, err := os.Stat(lockFile); !os.IsNotExist(err) {
		t.Fatalf("a failed lock wrote %s (%v)", lockFile, err)
	}
	locked, err := c.Lock(ctx, lockFile, []string{"@acme/tool@^1"})
	if err != nil || len(locked) != 1 || locked[0].Entry.Version != "1.0.0" || locked[0].Ref != "@acme/tool@^1" {
		t.Fatalf("lock: %+v, %v", locked, err)
	}
	if lf, err := lock.Load(lockFile); err != nil || lf.Bundles["@acme/tool@^1"] != locked[0].Entry {
		t.Fatalf("lock file after lock: %+v, %v; want %+v", lf, err, locked[0].Entry)
	}
	publish(t, host, "1.1.0")
	st, err := c.Outdated(ctx, lockFile)
	if err != nil || len(st) != 1 || st[0].Wanted != "1.1.0" || st[0].Current != "1.0.0" {
		t.Fatalf("outdated: %+v, %v; want 1.0.0 wanting 1.1.0", st, err)
	}

	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	key, _ := verify.NewKey(priv.Public())
	strict := newClient(t, host, mpak.Options{Cache: cc, Policy: &policy.Policy{RequireSignature: true, Keys: []verify.Key{key}}})
	if _, err := strict.Update(ctx, lockFile, ""); !errors.Is(err, policy.ErrRefused) {
		t.Errorf("update under a signature policy: %v, want ErrRefused", err)
	}
	if lf, _ := lock.Load(lockFile); lf.Bundles["@acme/tool@^1"].Version != "1.0.0" {
		t.Errorf("a refused update moved the pin to %s", lf.Bundles["@acme/tool@^1"].Version)
	}

	moved, err := c.Update(ctx, lockFile, "")
	if err != nil || len(moved) != 1 || moved[0] != (mpak.Moved{Key: "@acme/tool@^1", From: "1.0.0", To: "1.1.0"}) {
		t.Fatalf("update: %+v, %v", moved, err)
	}
	if lf, _ := lock.Load(lockFile); lf.Bundles["@acme/tool@^1"].Version != "1.1.0" {
		t.Errorf("lock after update: %+v", lf.Bundles)
	}
}

// TestPush: the tag is the manifest's version, a pushed version is never
// replaced, and the same files again change nothing.
func TestPush(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	c := newClient(t, host, mpak.Options{})
	file := func(extra string) []bundle.File {
		return []bundle.File{{Path: mcpbtest.Pack(t, "weather", "1.2.0", extra), Platform: mediatypes.AnyPlatform}}
	}
	first := file("a")
	p, err := c.Push(ctx, "@acme/weather", first, mpak.PushOptions{Revision: "abc123", MCPName: "io.github.acme/weather",
		Annotations: map[string]string{ocispec.AnnotationRevision: "overridden", "com.example.team": "tools"}})
	if err != nil || p.Tag != "1.2.0" || p.Unchanged {
		t.Fatalf("push: %+v, %v", p, err)
	}
	var index ocispec.Index
	if err := json.Unmarshal(p.Plan.IndexJSON, &index); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{ocispec.AnnotationRevision: "abc123", mediatypes.AnnotationMCPName: "io.github.acme/weather", "com.example.team": "tools"} {
		if got := index.Annotations[k]; got != want {
			t.Errorf("index annotation %s = %q, want %q", k, got, want)
		}
	}
	if again, err := c.Push(ctx, "@acme/weather", first, mpak.PushOptions{Revision: "abc123", MCPName: "io.github.acme/weather",
		Annotations: map[string]string{"com.example.team": "tools"}}); err != nil || !again.Unchanged {
		t.Errorf("the same files again: %+v, %v; want unchanged", again, err)
	}
	if _, err := c.Push(ctx, "@acme/weather", file("b"), mpak.PushOptions{}); !errors.Is(err, bundle.ErrVersionExists) {
		t.Errorf("other files under 1.2.0: %v, want ErrVersionExists", err)
	}
	if _, err := c.Push(ctx, "@acme/weather@2.0.0", first, mpak.PushOptions{}); err == nil || !strings.Contains(err.Error(), `manifest.json says "1.2.0"`) {
		t.Errorf("REF naming another version: %v", err)
	}
	if r, err := c.Resolve(ctx, "@acme/weather"); err != nil || r.Version.Root.Digest != p.Plan.Index.Digest {
		t.Errorf("latest after the pushes: %v, %v; want the first push", r, err)
	}
}

// TestYankAndCopy: a yank needs an exact version and a reason, latest
// skips the yanked version, and a copy to another registry carries the
// mark with it.
func TestYankAndCopy(t *testing.T) {
	t.Parallel()
	host, mirror := registrytest.Distribution(t), registrytest.Distribution(t)
	publish(t, host, "1.0.0")
	publish(t, host, "1.1.0")
	c := newClient(t, host, mpak.Options{})
	if _, err := c.Yank(ctx, "@acme/tool@^1", true, "broken"); err == nil || !strings.Contains(err.Error(), "can mean another version tomorrow") {
		t.Errorf("yank of a range: %v", err)
	}
	if _, err := c.Yank(ctx, "@acme/tool@1.1.0", true, " "); err == nil || !strings.Contains(err.Error(), "--reason") {
		t.Errorf("yank without a reason: %v", err)
	}
	y, err := c.Yank(ctx, "@acme/tool@1.1.0", true, "leaks the key;\n  use 1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if y.Reason != "leaks the key; use 1.0.0" || y.Time == "" {
		t.Errorf("yanked: reason %q at %q; want the reason folded to one line, and the time of the mark", y.Reason, y.Time)
	}
	if r, err := c.Resolve(ctx, "@acme/tool"); err != nil || r.Version.Reference != "1.0.0" {
		t.Errorf("latest after yanking 1.1.0: %+v, %v; want 1.0.0", r, err)
	}
	if _, err := c.Copy(ctx, "@acme/tool@"+y.Root.Digest.String(), mirror+"/acme/tool", nil); err == nil || !strings.Contains(err.Error(), "name the version tag") {
		t.Errorf("copy by digest without a tag: %v", err)
	}
	cp, err := c.Copy(ctx, "@acme/tool@1.1.0", mirror+"/acme/tool", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Root.Digest != y.Root.Digest || cp.Tag != "1.1.0" || cp.Referrers < 1 {
		t.Errorf("copy: %+v, want 1.1.0 (%s) with its yank record", cp.CopyResult, y.Root.Digest)
	}
	m := newClient(t, mirror, mpak.Options{})
	if r, err := m.Resolve(ctx, mirror+"/acme/tool@1.1.0"); err != nil || !strings.Contains(r.Version.Warning, "leaks the key") {
		t.Errorf("the mirror's 1.1.0: %+v, %v; want it yanked with the reason", r, err)
	}
}

// TestInspect: every build is listed, and the one for the platform asked
// is read.
func TestInspect(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	c := newClient(t, host, mpak.Options{})
	var files []bundle.File
	for _, p := range []string{"linux/amd64", "darwin/arm64"} {
		pl, _ := mediatypes.ParsePlatform(p)
		files = append(files, bundle.File{Path: mcpbtest.Pack(t, "weather", "1.0.0", p), Platform: pl})
	}
	if _, err := c.Push(ctx, "@acme/weather", files, mpak.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	mac, _ := mediatypes.ParsePlatform("darwin/arm64")
	in, err := c.Inspect(ctx, "@acme/weather@1.0.0", mac)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if len(in.Builds) != 2 || in.Selected.Entry.Platform != mac || in.Archive.Manifest.Name != "weather" {
		t.Errorf("inspection: %d builds, selected %v, archive %q; want 2, darwin/arm64, weather", len(in.Builds), in.Selected.Entry.Platform, in.Archive.Manifest.Name)
	}
	f, err := in.Archive.Open("server/data.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if b, _ := io.ReadAll(f); string(b) != "darwin/arm64" {
		t.Errorf("server/data.txt of the selected build: %q, want darwin/arm64's", b)
	}
}
