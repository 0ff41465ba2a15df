package progress

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestBarsDrawTransfers(t *testing.T) {
	var out bytes.Buffer
	b := New(&out)
	data := bytes.Repeat([]byte("x"), 64<<10)
	desc := ocispec.Descriptor{Digest: digest.FromBytes(data), Size: int64(len(data))}
	n, err := io.Copy(io.Discard, b.Track(desc, "weather.mcpb", bytes.NewReader(data)))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("proxied copy: %d bytes, %v", n, err)
	}
	b.Skip(ocispec.Descriptor{Digest: digest.FromString("cfg"), Size: 10}, "config")
	// A transfer that fails midway must not hang Close.
	b.Track(ocispec.Descriptor{Digest: digest.FromString("x"), Size: 100}, "broken", strings.NewReader("short"))
	b.Close()
	for _, want := range []string{"weather.mcpb", "config (exists)", "64.0 KiB"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestNoBarsWithoutTerminal(t *testing.T) {
	if ForTerminal(false) != nil {
		t.Fatal("bars drawn although disabled")
	}
}
