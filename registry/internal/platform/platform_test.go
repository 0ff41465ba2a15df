package platform

import (
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/registry/catalog"
)

func TestSplit(t *testing.T) {
	for p, want := range map[string][2]string{
		"linux/amd64": {"linux", "amd64"}, "linux/any": {"linux", "any"}, "linux": {"linux", "any"},
		"any": {"any", "any"}, "": {"any", "any"}, "linux/": {"linux", "any"},
	} {
		if os, arch := Split(p); os != want[0] || arch != want[1] {
			t.Errorf("Split(%q) = %s, %s; want %s, %s", p, os, arch, want[0], want[1])
		}
	}
}

// A bundle serves os/arch when a build is exactly it, os/any, or any.
func TestMatch(t *testing.T) {
	builds := func(ps ...string) []catalog.Build {
		var bs []catalog.Build
		for _, p := range ps {
			bs = append(bs, catalog.Build{Platform: p})
		}
		return bs
	}
	serves := func(list, os, arch string) bool {
		for _, s := range Substrings(os, arch) {
			if strings.Contains(list, s) {
				return true
			}
		}
		return false
	}
	for _, tc := range []struct {
		builds   []string
		os, arch string
		want     bool
	}{
		{[]string{"linux/amd64"}, "linux", "amd64", true},
		{[]string{"linux/amd64"}, "linux", "arm64", false},
		{[]string{"linux/amd64"}, "darwin", "amd64", false},
		{[]string{"linux/any"}, "linux", "arm64", true},
		{[]string{"linux"}, "linux", "arm64", true},
		{[]string{"any"}, "windows", "arm64", true},
		{[]string{"darwin/arm64", "windows/amd64"}, "darwin", "amd64", false},
		{[]string{"darwin/arm64", "windows/amd64"}, "windows", "amd64", true},
		{[]string{"linux/amd64"}, "linux", "", true},
		{[]string{"linux/amd64"}, "lin", "", false},
		{[]string{"linux/amd64"}, "", "amd64", true},
		{[]string{"linux/amd64"}, "", "amd", false},
		{[]string{"linux/any"}, "", "riscv64", true},
		{[]string{"darwin/arm64"}, "", "amd64", false},
		{nil, "linux", "amd64", false},
	} {
		if got := serves(List(builds(tc.builds...)), tc.os, tc.arch); got != tc.want {
			t.Errorf("builds %q serve %s/%s: %v, want %v", tc.builds, tc.os, tc.arch, got, tc.want)
		}
	}
	if Substrings("", "") != nil {
		t.Error("Substrings with no OS or arch filter something")
	}
}
