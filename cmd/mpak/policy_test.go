package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/referrer"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// TestPolicy: pull and run refuse an unsigned or under-level version
// before downloading anything, from flags or from the config file.
func TestPolicy(t *testing.T) {
	reg := registrytest.Distribution(t)
	isolate(t, reg)
	t.Setenv("COSIGN_PASSWORD", "pw")
	cacheDir := filepath.Join(t.TempDir(), "cache")
	t.Setenv("MPAK_CACHE", cacheDir)
	ex1, ex2 := exampleDir(t, "1.0.0"), exampleDir(t, "1.1.0")
	dir := t.TempDir()
	t.Chdir(dir)
	ok(t, "bundle", "keygen")
	for _, ex := range []string{ex1, ex2} {
		file := filepath.Join(t.TempDir(), "b.mcpb")
		ok(t, "bundle", "pack", ex, "-o", file)
		ok(t, "bundle", "push", "@example/hello", file)
	}
	ok(t, "bundle", "sign", "@example/hello@1.1.0", "--key", "cosign.key")
	out := t.TempDir()

	refused := func(what string, args ...string) string {
		t.Helper()
		_, errOut, code := mpak(t, args...)
		if code != exitUnverified {
			t.Fatalf("%s: exit %d (%s), want %d", what, code, errOut, exitUnverified)
		}
		return errOut
	}
	errOut := refused("pull of an unsigned version", "bundle", "pull", "@example/hello@1.0.0", "--require-signature", "--key", "cosign.pub", "-o", out)
	if !strings.Contains(errOut, "no signature verifies") || !strings.Contains(errOut, "mpak bundle sign") {
		t.Errorf("refusal says %q, want what is missing and how to fix it", errOut)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("a refused pull wrote %v", entries)
	}
	refused("run of an unsigned version", "run", "@example/hello@1.0.0", "--require-signature", "--key", "cosign.pub")
	if _, err := os.Stat(filepath.Join(cacheDir, "bundles")); err == nil {
		if entries, _ := os.ReadDir(filepath.Join(cacheDir, "bundles", "sha256")); len(entries) != 0 {
			t.Errorf("a refused run extracted %d bundles into the cache", len(entries))
		}
	}
	refused("signature required without a key", "bundle", "pull", "@example/hello@1.1.0", "--require-signature", "-o", out)
	ok(t, "bundle", "pull", "@example/hello@1.1.0", "--require-signature", "--key", "cosign.pub", "-o", out)

	// Levels come from the newest scan report.
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
	if _, err := referrer.Attach(context.Background(), repo, root, referrer.Artifact{ArtifactType: mediatypes.Scan,
		Blobs:       []referrer.Blob{{MediaType: mediatypes.Scan, Data: []byte(`{}`)}},
		Annotations: map[string]string{mediatypes.AnnotationScanLevel: "2"}}, referrer.Options{}); err != nil {
		t.Fatal(err)
	}
	ok(t, "bundle", "pull", "@example/hello@1.1.0", "--min-level", "2", "-o", out)
	if _, errOut, code := mpak(t, "bundle", "pull", "@example/hello@1.1.0", "--min-level", "L9"); code == 0 || !strings.Contains(errOut, "L0 to L4") {
		t.Errorf("--min-level L9: exit %d, %q", code, errOut)
	}

	// The config file's policy applies without flags.
	cfg, _ := json.Marshal(map[string]any{"policy": map[string]any{"require_signature": true, "keys": []string{filepath.Join(dir, "cosign.pub")}}})
	if err := os.WriteFile(os.Getenv("MPAK_CONFIG"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	refused("config policy, unsigned", "bundle", "pull", "@example/hello@1.0.0", "-o", out)
	ok(t, "bundle", "pull", "@example/hello@1.1.0", "-o", out)
}
