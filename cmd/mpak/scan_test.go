package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/internal/cli"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/referrer"
	"github.com/mpak-oci/mpak/registry/registrytest"
	"github.com/mpak-oci/mpak/scan"
	"github.com/mpak-oci/mpak/scanlevel"
)

// TestScanCommand: scan a file and a registry reference (with signature
// and provenance checked), gate on --level, and attach the report and the
// SBOM, which --min-level then reads.
func TestScanCommand(t *testing.T) {
	t.Parallel()
	reg := registrytest.Distribution(t)
	e := isolate(t, reg)
	e["COSIGN_PASSWORD"] = "pw"
	example := exampleDir(t, "1.0.0")
	dir := t.TempDir()
	file := filepath.Join(dir, "hello.mcpb")
	e.ok(t, "bundle", "pack", example, "-o", file)

	rep := decode[scan.Report](t, e.ok(t, "bundle", "scan", file, "--json"))
	if rep.Bundle.Name != "hello" || len(rep.Controls) != 15 || rep.Counts[scan.Pass] == 0 {
		t.Fatalf("scan of a file: %+v", rep)
	}
	human := e.ok(t, "bundle", "scan", file)
	if !strings.Contains(human, "PASS  L1.manifest") || !strings.Contains(human, "hello 1.0.0: level L") {
		t.Errorf("human report:\n%s", human)
	}
	if _, errOut, code := e.mpak(t, "bundle", "scan", file, "--level", "4"); code != cli.ExitUnverified || !strings.Contains(errOut, "below the required level L4") {
		t.Errorf("--level 4 on an unsigned bundle: exit %d, %q", code, errOut)
	}
	if _, errOut, code := e.mpak(t, "bundle", "scan", file, "--attach"); code == 0 || !strings.Contains(errOut, "registry reference") {
		t.Errorf("--attach on a file: exit %d, %q", code, errOut)
	}

	e.ok(t, "bundle", "push", "@example/hello", file)
	e.ok(t, "bundle", "keygen", "--output-key-prefix", filepath.Join(dir, "cosign"))
	e.ok(t, "bundle", "sign", "@example/hello@1.0.0", "--key", filepath.Join(dir, "cosign.key"))
	rep = decode[scan.Report](t, e.ok(t, "bundle", "scan", "@example/hello@1.0.0", "--key", filepath.Join(dir, "cosign.pub"), "--attach", "--json"))
	sig := scan.Result{}
	for _, c := range rep.Controls {
		if c.ID == "L3.signature" {
			sig = c
		}
	}
	if sig.Status != scan.Pass {
		t.Errorf("L3.signature on a signed version: %+v", sig)
	}
	repo, _ := remote.NewRepository(reg + "/example/hello")
	repo.PlainHTTP = true
	root, err := repo.Resolve(context.Background(), "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []string{mediatypes.Scan, mediatypes.CycloneDX} {
		refs, err := referrer.List(context.Background(), repo, root, at)
		if err != nil || len(refs) != 1 {
			t.Errorf("%s referrers: %v, %v; want one", at, refs, err)
		}
	}
	// Attached unsigned, the level is a claim nobody vouches for.
	if v, err := scanlevel.Decide(context.Background(), repo, root, nil); err != nil || v.Verified() || v.Level != 0 || v.Claimed != rep.Level {
		t.Errorf("verdict read back from the registry: %+v, %v; want unverified, claiming L%d", v, err, rep.Level)
	}
}

// TestScanDespiteBrokenPolicy: a policy whose key file is gone stops
// pulls (what it guards), not a scan of a local file (which it does not).
func TestScanDespiteBrokenPolicy(t *testing.T) {
	t.Parallel()
	e := isolate(t, "localhost:5000")
	if err := os.WriteFile(e["MPAK_CONFIG"], []byte(`{"policy":{"require_signature":true,"keys":["/nonexistent/cosign.pub"]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "hello.mcpb")
	e.ok(t, "bundle", "pack", exampleDir(t, "1.0.0"), "-o", file)
	if _, errOut, code := e.mpak(t, "bundle", "scan", file); code != 0 {
		t.Errorf("scan of a file under a broken policy: exit %d: %s", code, errOut)
	}
	if _, errOut, code := e.mpak(t, "bundle", "pull", "@example/hello@1.0.0"); code == 0 || !strings.Contains(errOut, "/nonexistent/cosign.pub") {
		t.Errorf("pull under the broken policy: exit %d, %q; want the missing key named", code, errOut)
	}
}
