package mediatypes

import (
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestParsePlatform(t *testing.T) {
	for in, want := range map[string]string{
		"linux/amd64":  "linux/amd64",
		"win32/x64":    "windows/amd64",
		"darwin/arm64": "darwin/arm64",
		"linux":        "linux/any",
		"any":          "any",
		"":             "any",
		" LINUX/X64 ":  "linux/amd64",
	} {
		p, err := ParsePlatform(in)
		if err != nil {
			t.Fatalf("ParsePlatform(%q): %v", in, err)
		}
		if p.String() != want {
			t.Errorf("ParsePlatform(%q) = %s, want %s", in, p, want)
		}
	}
	for _, bad := range []string{"linux/arm/v7", "any/amd64", "linux/", "lin ux/amd64", "/amd64"} {
		if _, err := ParsePlatform(bad); err == nil {
			t.Errorf("ParsePlatform(%q) accepted", bad)
		}
	}
}

func TestMatchOrder(t *testing.T) {
	host := Platform{OS: "linux", Arch: "arm64"}
	exact := Platform{OS: "linux", Arch: "arm64"}.Match(host)
	osOnly := Platform{OS: "linux", Arch: Any}.Match(host)
	anyP := AnyPlatform.Match(host)
	other := Platform{OS: "linux", Arch: "amd64"}.Match(host)
	if !(exact > osOnly && osOnly > anyP && anyP > other && other == 0) {
		t.Fatalf("ranks exact=%d os=%d any=%d other=%d", exact, osOnly, anyP, other)
	}
}

func TestDescriptorRoundTrip(t *testing.T) {
	for _, s := range []string{"linux/amd64", "darwin/any", "any"} {
		p, _ := ParsePlatform(s)
		d := ocispec.Descriptor{Platform: p.OCI()}
		if p.OCI() == nil {
			d.Annotations = map[string]string{AnnotationPlatform: p.String()}
		}
		if got := FromDescriptor(d); got != p {
			t.Errorf("%s survived a descriptor as %s", s, got)
		}
	}
}
