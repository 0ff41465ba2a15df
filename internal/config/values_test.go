package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/oci/connect"
)

// TestSetMaskedSaved: a repeated key is saved as a JSON array, secrets
// are masked by the manifest's word or by their name, and Saved lists
// the keys sorted.
func TestSetMaskedSaved(t *testing.T) {
	t.Parallel()
	c, err := Load(filepath.Join(t.TempDir(), "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	c.Set("@acme/weather", map[string][]string{"dirs": {"/a", "/b"}, "units": {"metric"}, "api_key": {"sk-1234567890"}, "pin": {"1234"}},
		[]string{"units", "dirs", "api_key", "pin"})
	if v := c.Values("@acme/weather"); v["dirs"] != `["/a","/b"]` || v["units"] != "metric" {
		t.Errorf("saved values: %v", v)
	}
	got := c.Masked("@acme/weather", "", map[string]bool{"pin": true})
	want := map[string]string{"dirs": `["/a","/b"]`, "units": "metric", "api_key": "sk-1********", "pin": "********"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("masked: %v, want %v", got, want)
	}
	if got := c.Masked("@acme/weather", "units", nil); !reflect.DeepEqual(got, map[string]string{"units": "metric"}) {
		t.Errorf("masked, one key: %v", got)
	}
	if got := c.Masked("@acme/other", "", nil); got == nil || len(got) != 0 {
		t.Errorf("masked, nothing saved: %#v, want an empty map", got)
	}
	if got := c.Saved(); !reflect.DeepEqual(got, map[string][]string{"@acme/weather": {"api_key", "dirs", "pin", "units"}}) {
		t.Errorf("saved: %v", got)
	}
}

// TestPolicyStricterLoad: flags make the file's policy stricter, never
// looser, keys add up, and a key file that is missing or not a key is an
// error naming it.
func TestPolicyStricterLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := filepath.Join(dir, "cosign.pub")
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	off := false
	file := Policy{MinLevel: 2, Keys: []string{key}, RegistryScanner: &off}
	p := file.Stricter(Policy{RequireSignature: true, MinLevel: 1, Keys: []string{key}, TrustedScanners: []string{key}})
	if !p.RequireSignature || p.MinLevel != 2 || len(p.Keys) != 2 || len(p.TrustedScanners) != 1 || p.RegistryScanner != &off {
		t.Errorf("stricter: %+v", p)
	}
	if len(file.Keys) != 1 {
		t.Errorf("Stricter changed the file's policy: %+v", file)
	}
	pol, err := p.Load(connect.Options{}, filepath.Join(dir, "trust"))
	if err != nil {
		t.Fatal(err)
	}
	if !pol.RequireSignature || pol.MinLevel != 2 || len(pol.Keys) != 2 || len(pol.ScannerKeys) != 1 || pol.RegistryScanner || pol.MemoDir != filepath.Join(dir, "trust") {
		t.Errorf("loaded: %+v", pol)
	}
	if pol, err := (Policy{}).Load(connect.Options{}, dir); err != nil || !pol.RegistryScanner {
		t.Errorf("no registry_scanner setting: %+v, %v; want the registry's scanner trusted", pol, err)
	}
	if _, err := (Policy{TrustedScanners: []string{filepath.Join(dir, "nope.pub")}}).Load(connect.Options{}, dir); err == nil ||
		!strings.Contains(err.Error(), "trusted scanner key") {
		t.Errorf("a missing scanner key: %v", err)
	}
	if _, err := (Policy{Keys: []string{filepath.Join(dir, "trust")}}).Load(connect.Options{}, dir); err == nil || !strings.Contains(err.Error(), "trusted key") {
		t.Errorf("a key path that is no key: %v", err)
	}
}
