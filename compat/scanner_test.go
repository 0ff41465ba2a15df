package compat

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/referrer"
	"github.com/mpak-oci/mpak/policy"
	"github.com/mpak-oci/mpak/registry/server"
	"github.com/mpak-oci/mpak/scan"
)

// TestMpakdScans: mpakd --scan scans what is pushed, signs the verdict
// with the key it publishes, and mpak trusts that key for --min-level
// (unless the user's policy says not to); a forged report changes nothing.
func TestMpakdScans(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := signature.LoadECDSASignerVerifier(key, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := cryptoutils.MarshalPublicKeyToPEM(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	n := startMpakd(t, server.Options{ScannerKey: sv, ScannerPublicKey: pub, Scan: true})
	cl := newCLI(t, n.host, "mpak")

	// What a local scan of the same file says, L1 for the example.
	file := filepath.Join(t.TempDir(), "hello.mcpb")
	if _, err := mcpb.PackFile(filepath.Join("..", "hack", "examples", "hello"), file, mcpb.PackOptions{}); err != nil {
		t.Fatal(err)
	}
	a, err := mcpb.Open(file, mcpb.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	local, err := scan.Scan(context.Background(), a, scan.Options{MaxLevel: 2})
	a.Close()
	if err != nil || local.Level < 1 {
		t.Fatalf("local scan of the fixture: L%d, %v; the test needs a bundle reaching L1", local.Level, err)
	}
	pushed := cl.push("@acme/hello", file)

	resp, err := http.Get("http://" + n.host + policy.ScannerKeyPath)
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(served) != string(pub) {
		t.Fatalf("GET %s: %d %q, want the scanner's public key", policy.ScannerKeyPath, resp.StatusCode, served)
	}

	// The scan runs in the background; the catalog shows its level once
	// the verdict is attached.
	deadline := time.Now().Add(30 * time.Second)
	for {
		v, err := n.catalog.Version(context.Background(), "acme/hello", "1.0.0")
		if err == nil && v.LevelVerified {
			if v.Level != local.Level || v.Digest != pushed.Digest || len(v.Scan) == 0 {
				t.Errorf("catalog after the scan: level %d, digest %s, report %d bytes; want L%d of %s with its report",
					v.Level, v.Digest, len(v.Scan), local.Level, pushed.Digest)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no verified level after 30s: %+v, %v", v, err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A forged report (unsigned, L4, dated far ahead), pushed as anyone
	// may: still the scanner's level, in the catalog and for mpak.
	r := repo(t, n.host, "acme/hello")
	root, err := r.Resolve(context.Background(), "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := referrer.Attach(context.Background(), r, root, referrer.Artifact{ArtifactType: mediatypes.Scan,
		Blobs:       []referrer.Blob{{MediaType: mediatypes.Scan, Data: []byte(`{"level":4}`)}},
		Annotations: map[string]string{mediatypes.AnnotationScanLevel: "4", ocispec.AnnotationCreated: "9999-12-31T23:59:59Z"}},
		referrer.Options{}); err != nil {
		t.Fatal(err)
	}
	if v, err := n.catalog.Version(context.Background(), "acme/hello", "1.0.0"); err != nil || v.Level != local.Level || !v.LevelVerified || v.ClaimedLevel != 4 {
		t.Errorf("catalog after a forged L4 report: %+v, %v; want the scanner's L%d, the L4 only claimed", v, err, local.Level)
	}

	// mpak trusts the key the registry publishes.
	level := fmt.Sprintf("L%d", local.Level)
	cl.ok("mpak", "bundle", "pull", "@acme/hello@1.0.0", "--min-level", level, "--force")
	cl.refused("mpak", []string{"bundle", "pull", "@acme/hello@1.0.0", "--min-level", "L4"}, "below the required L4")

	// Turned off in the user's policy, the registry's verdict counts for
	// nothing. (A fresh cache: the verdict above is remembered.)
	cfg, _ := json.Marshal(map[string]any{"policy": map[string]any{"registry_scanner": false}})
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, "mpak.json"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	strict := *cl
	strict.env = append(append([]string{}, cl.env...), "MPAK_CONFIG="+filepath.Join(home, "mpak.json"), "MPAK_CACHE="+filepath.Join(home, "cache"))
	strict.refused("mpak", []string{"bundle", "pull", "@acme/hello@1.0.0", "--min-level", level}, "below the required "+level)
}
