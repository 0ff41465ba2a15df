package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"oras.land/oras-go/v2/registry/remote"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mpak-oci/mpak/internal/cli"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/referrer"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// TestPolicy: pull and run refuse an unsigned or under-level version
// before downloading anything, from flags or from the config file.
func TestPolicy(t *testing.T) {
	t.Parallel()
	reg := registrytest.Distribution(t)
	e := isolate(t, reg)
	e["COSIGN_PASSWORD"] = "pw"
	cacheDir := filepath.Join(t.TempDir(), "cache")
	e["MPAK_CACHE"] = cacheDir
	ex1, ex2 := exampleDir(t, "1.0.0"), exampleDir(t, "1.1.0")
	dir := t.TempDir()
	e.ok(t, "bundle", "keygen", "--output-key-prefix", filepath.Join(dir, "cosign"))
	for _, ex := range []string{ex1, ex2} {
		file := filepath.Join(t.TempDir(), "b.mcpb")
		e.ok(t, "bundle", "pack", ex, "-o", file)
		e.ok(t, "bundle", "push", "@example/hello", file)
	}
	e.ok(t, "bundle", "sign", "@example/hello@1.1.0", "--key", filepath.Join(dir, "cosign.key"))
	out := t.TempDir()

	refused := func(what string, args ...string) string {
		t.Helper()
		_, errOut, code := e.mpak(t, args...)
		if code != cli.ExitUnverified {
			t.Fatalf("%s: exit %d (%s), want %d", what, code, errOut, cli.ExitUnverified)
		}
		return errOut
	}
	errOut := refused("pull of an unsigned version", "bundle", "pull", "@example/hello@1.0.0", "--require-signature", "--key", filepath.Join(dir, "cosign.pub"), "-o", out)
	if !strings.Contains(errOut, "no signature verifies") || !strings.Contains(errOut, "mpak bundle sign") {
		t.Errorf("refusal says %q, want what is missing and how to fix it", errOut)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("a refused pull wrote %v", entries)
	}
	refused("run of an unsigned version", "run", "@example/hello@1.0.0", "--require-signature", "--key", filepath.Join(dir, "cosign.pub"))
	if _, err := os.Stat(filepath.Join(cacheDir, "bundles")); err == nil {
		if entries, _ := os.ReadDir(filepath.Join(cacheDir, "bundles", "sha256")); len(entries) != 0 {
			t.Errorf("a refused run extracted %d bundles into the cache", len(entries))
		}
	}
	refused("signature required without a key", "bundle", "pull", "@example/hello@1.1.0", "--require-signature", "-o", out)
	e.ok(t, "bundle", "pull", "@example/hello@1.1.0", "--require-signature", "--key", filepath.Join(dir, "cosign.pub"), "-o", out)

	// Levels count only from verdicts signed by a trusted scanner key.
	errOut = refused("pull below the level", "bundle", "pull", "@example/hello@1.1.0", "--min-level", "L2", "-o", out)
	if !strings.Contains(errOut, "L0, below the required L2") {
		t.Errorf("level refusal says %q", errOut)
	}
	repo, _ := remote.NewRepository(reg + "/example/hello")
	repo.PlainHTTP = true
	root, err := repo.Resolve(context.Background(), "1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	// The attack: anyone who may push attaches a report saying L4, dated
	// far in the future.
	if _, err := referrer.Attach(context.Background(), repo, root, referrer.Artifact{ArtifactType: mediatypes.Scan,
		Blobs:       []referrer.Blob{{MediaType: mediatypes.Scan, Data: []byte(`{}`)}},
		Annotations: map[string]string{mediatypes.AnnotationScanLevel: "4", ocispec.AnnotationCreated: "9999-12-31T23:59:59Z"}},
		referrer.Options{}); err != nil {
		t.Fatal(err)
	}
	errOut = refused("pull with a forged L4 report", "bundle", "pull", "@example/hello@1.1.0", "--min-level", "L2", "-o", out)
	if !strings.Contains(errOut, "claims L4 but no scanner key you trust signed it") {
		t.Errorf("forged-level refusal says %q, want it to name the unverified claim", errOut)
	}
	// A scan signed with a key the user trusts counts; with another it
	// does not.
	// (The scanner runs elsewhere: a scan run with this cache would count
	// by itself, as the last step shows.)
	e.ok(t, "bundle", "keygen", "--output-key-prefix", filepath.Join(dir, "scanner"))
	e["MPAK_CACHE"] = t.TempDir()
	e.ok(t, "bundle", "scan", "@example/hello@1.1.0", "--attach", "--sign-key", filepath.Join(dir, "scanner.key"), "--level", "1")
	e["MPAK_CACHE"] = cacheDir
	e.ok(t, "bundle", "pull", "@example/hello@1.1.0", "--min-level", "1", "--scanner-key", filepath.Join(dir, "scanner.pub"), "-o", out)
	refused("pull trusting another scanner", "bundle", "pull", "@example/hello@1.1.0", "--min-level", "1", "--scanner-key", filepath.Join(dir, "cosign.pub"), "-o", out)
	// A scan run on this machine counts on this machine.
	e.ok(t, "bundle", "scan", "@example/hello@1.1.0", "--level", "1")
	e.ok(t, "bundle", "pull", "@example/hello@1.1.0", "--min-level", "1", "-o", out)
	if _, errOut, code := e.mpak(t, "bundle", "pull", "@example/hello@1.1.0", "--min-level", "L9"); code == 0 || !strings.Contains(errOut, "L0 to L4") {
		t.Errorf("--min-level L9: exit %d, %q", code, errOut)
	}

	// The config file's policy applies without flags.
	cfg, _ := json.Marshal(map[string]any{"policy": map[string]any{"require_signature": true, "keys": []string{filepath.Join(dir, "cosign.pub")}}})
	if err := os.WriteFile(e["MPAK_CONFIG"], cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	refused("config policy, unsigned", "bundle", "pull", "@example/hello@1.0.0", "-o", out)
	e.ok(t, "bundle", "pull", "@example/hello@1.1.0", "-o", out)
}
