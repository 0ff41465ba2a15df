package mcpb

import (
	"io"
	"testing"
)

func readEntry(t *testing.T, a *Archive, name string) string {
	t.Helper()
	rc, err := a.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
