package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/registry/server"
)

// TestScannerKey: --scan creates a key in --data and publishes it; the
// maintenance commands use it when it exists; replicas must share one.
func TestScannerKey(t *testing.T) {
	data := t.TempDir()
	var o server.Options
	if err := (&scannerFlags{}).apply(&o, data, ""); err != nil || o.ScannerKey != nil {
		t.Fatalf("without --scan or a key file: key %v, %v; want none", o.ScannerKey, err)
	}
	if err := (&scannerFlags{scan: true}).apply(&o, data, ""); err != nil || o.ScannerKey == nil || !o.Scan ||
		!strings.Contains(string(o.ScannerPublicKey), "PUBLIC KEY") {
		t.Fatalf("--scan: %+v, %v; want a key and its public PEM", o, err)
	}
	st, err := os.Stat(filepath.Join(data, "scanner.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("scanner.key: %v, %v; want it created 0600", st, err)
	}
	pub := string(o.ScannerPublicKey)
	var again server.Options
	if err := (&scannerFlags{}).apply(&again, data, ""); err != nil || string(again.ScannerPublicKey) != pub || again.Scan {
		t.Errorf("reindex with the key file: %v; want the same key, not scanning", err)
	}
	err = (&scannerFlags{scan: true}).apply(&server.Options{}, data, "postgres://x@localhost/db")
	if err == nil || !strings.Contains(err.Error(), "--scanner-key") {
		t.Errorf("--scan on a shared --db without --scanner-key: %v; want a refusal naming --scanner-key", err)
	}
	if err := (&scannerFlags{trusted: []string{filepath.Join(data, "missing.pub")}}).apply(&server.Options{}, data, ""); err == nil {
		t.Error("a missing --trusted-scanner-key was accepted")
	}
}
