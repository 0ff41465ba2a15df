package resolve

import (
	"slices"
	"testing"
)

func TestVersions(t *testing.T) {
	for _, tc := range []struct {
		name string
		tags []string
		want []string
	}{
		{
			name: "semver by precedence, not push or string order",
			tags: []string{"1.10.0", "1.2.0", "1.9.0", "0.9.0"},
			want: []string{"1.10.0", "1.9.0", "1.2.0", "0.9.0"},
		},
		{
			name: "prereleases below their release, numeric identifiers compared as numbers",
			tags: []string{"2.0.0-rc.2", "2.0.0", "2.0.0-rc.10", "2.0.0-beta"},
			want: []string{"2.0.0", "2.0.0-rc.10", "2.0.0-rc.2", "2.0.0-beta"},
		},
		{
			name: "non-semver tags after semver, alphabetically",
			tags: []string{"latest", "1.0.0", "dev", "1.2", "main"},
			want: []string{"1.0.0", "1.2", "dev", "latest", "main"},
		},
		{
			name: "signature and referrer tags hidden, duplicates dropped",
			tags: []string{"1.0.0", "sha256-" + hex64, "sha256-" + hex64 + ".sig", "1.0.0", "sha256-" + hex64 + ".att"},
			want: []string{"1.0.0"},
		},
		{
			name: "build metadata ties ordered by tag, plain spelling first",
			tags: []string{"v1.0.0", "1.0.0_b", "1.0.0"},
			want: []string{"1.0.0", "1.0.0_b", "v1.0.0"},
		},
		{name: "empty", tags: nil, want: []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Versions(tc.tags); !slices.Equal(got, tc.want) {
				t.Errorf("Versions(%q) = %q, want %q", tc.tags, got, tc.want)
			}
		})
	}
}
