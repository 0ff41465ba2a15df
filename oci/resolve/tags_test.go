package resolve

import (
	"strings"
	"testing"
)

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestIsVersionTag(t *testing.T) {
	for _, tc := range []struct {
		tag  string
		want bool
	}{
		{"1.2.0", true},
		{"v1.2.0", true},
		{"1.2.0_build.5", true},
		{"2.0.0-rc.1", true},
		{"latest", true},
		{"dev", true},
		{"1", true},
		// A git hash is shorter than any referrer digest and stays visible.
		{"build-1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", true},

		{"sha256-" + hex64, false},
		{"sha512-" + hex64, false},
		{"sha512-" + hex64 + hex64, false},
		{"sha256-" + hex64 + ".sig", false},
		{"sha256-" + hex64 + ".att", false},
		{"sha256-" + hex64 + ".sbom", false},
		{"1.2.0.sig", false},
		{"", false},
		{"1.2.0+b", false},
		{".hidden", false},
		{strings.Repeat("a", 129), false},
	} {
		if got := IsVersionTag(tc.tag); got != tc.want {
			t.Errorf("IsVersionTag(%q) = %v, want %v", tc.tag, got, tc.want)
		}
	}
}

func TestTagFor(t *testing.T) {
	for _, tc := range []struct {
		version, tag string
	}{
		{"1.2.0", "1.2.0"},
		{"1.2.0+build.5", "1.2.0_build.5"},
		{"v1.2.0+build.5", "v1.2.0_build.5"},
		{"2.0.0-rc.1+sha.abc", "2.0.0-rc.1_sha.abc"},
		{"latest", "latest"},
		{"nightly_2024", "nightly_2024"},
	} {
		got, err := TagFor(tc.version)
		if err != nil || got != tc.tag {
			t.Errorf("TagFor(%q) = %q, %v; want %q", tc.version, got, err, tc.tag)
		}
	}
}

func TestTagForErrors(t *testing.T) {
	for _, tc := range []struct {
		version string
		want    string // a fragment the message must contain
	}{
		{"", "it is empty"},
		{"-1.0", `starts with '-'`},
		{".1.0", `starts with '.'`},
		{"1.0 beta", `contains ' ' (U+0020)`},
		{"1.0/2", `contains '/'`},
		{"dev+local", "build metadata"},
		{"1.2.0+a+b", "build metadata"},
		{strings.Repeat("9", 129), "129 characters"},
	} {
		_, err := TagFor(tc.version)
		if err == nil {
			t.Errorf("TagFor(%q) succeeded, want an error", tc.version)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "cannot be an OCI tag") {
			t.Errorf("TagFor(%q) error %q does not mention %q", tc.version, err, tc.want)
		}
	}
}

func TestVersionOf(t *testing.T) {
	for _, tc := range []struct {
		tag, version string
	}{
		{"1.2.0_build.5", "1.2.0+build.5"},
		{"v1.2.0_b", "v1.2.0+b"},
		{"2.0.0-rc.1_sha.abc", "2.0.0-rc.1+sha.abc"},
		{"1.2.0", "1.2.0"},
		// Not semver once mapped: left alone.
		{"nightly_2024", "nightly_2024"},
		{"1.2_b", "1.2_b"},
		{"1.2.0_a_b", "1.2.0_a_b"},
		{"1.2.0_", "1.2.0_"},
	} {
		if got := VersionOf(tc.tag); got != tc.version {
			t.Errorf("VersionOf(%q) = %q, want %q", tc.tag, got, tc.version)
		}
	}
}

func TestTagForVersionOfRoundTrip(t *testing.T) {
	for _, v := range []string{"1.2.0", "1.2.0+build.5", "0.0.1-alpha.1+x-y.z", "v3.0.0+meta"} {
		tag, err := TagFor(v)
		if err != nil {
			t.Fatalf("TagFor(%q): %v", v, err)
		}
		if got := VersionOf(tag); got != v {
			t.Errorf("VersionOf(TagFor(%q)) = %q", v, got)
		}
	}
}

func TestCheckTag(t *testing.T) {
	for _, tag := range []string{"1.2.0", "latest", "_x", "A-b.c_d", strings.Repeat("a", 128)} {
		if err := CheckTag(tag); err != nil {
			t.Errorf("CheckTag(%q) = %v, want nil", tag, err)
		}
	}
	for tag, want := range map[string]string{
		"":                       "it is empty",
		"^1":                     "contains '^'",
		"1.0\tx":                 "contains '\\t' (U+0009)",
		"1.0+b":                  "contains '+'",
		strings.Repeat("a", 129): "129 characters",
	} {
		err := CheckTag(tag)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "tags are 1 to 128") {
			t.Errorf("CheckTag(%q) = %v, want an error containing %q and the grammar", tag, err, want)
		}
	}
}
