package resolve

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSelect(t *testing.T) {
	sig := "sha256-" + hex64 + ".sig"
	fallback := "sha256-" + hex64
	for _, tc := range []struct {
		name  string
		tags  []string
		query string
		want  string
	}{
		// latest is the highest release by precedence, whatever the push order.
		{"latest ignores push order", []string{"2.0.0", "1.9.0", "1.10.0"}, "latest", "2.0.0"},
		{"empty query means latest", []string{"1.0.0", "1.10.0", "1.9.0"}, "", "1.10.0"},
		{"latest skips prereleases", []string{"1.0.0", "2.0.0-rc.1"}, "latest", "1.0.0"},
		{"latest prefers semver over a latest tag", []string{"latest", "1.0.0"}, "latest", "1.0.0"},
		{"latest tag when nothing is semver", []string{"dev", "latest"}, "latest", "latest"},
		{"latest tag when only prereleases", []string{"2.0.0-rc.1", "latest"}, "", "latest"},
		{"latest ignores rolling aliases", []string{"2", "1.5.0", "1"}, "latest", "1.5.0"},
		{"latest accepts v prefix", []string{"v1.0.0", "v1.1.0"}, "latest", "v1.1.0"},
		{"latest returns the tag of a build", []string{"1.0.0", "1.1.0_build.7"}, "latest", "1.1.0_build.7"},
		{"latest skips signature tags", []string{"1.0.0", sig, fallback}, "latest", "1.0.0"},

		// Exact tags, including versions whose '+' became '_'.
		{"exact version", []string{"1.0.0", "1.2.0", "2.0.0"}, "1.2.0", "1.2.0"},
		{"exact prerelease", []string{"1.0.0", "2.0.0-rc.1"}, "2.0.0-rc.1", "2.0.0-rc.1"},
		{"exact build metadata via TagFor", []string{"1.2.0_b", "1.2.0_c"}, "1.2.0+c", "1.2.0_c"},
		{"exact build metadata tag spelling", []string{"1.2.0_b"}, "1.2.0_b", "1.2.0_b"},
		{"exact non-semver tag", []string{"1.0.0", "dev"}, "dev", "dev"},
		{"exact alias wins over the range it spells", []string{"1.2", "1.2.5", "1.2.9"}, "1.2", "1.2"},
		{"exact version found without v", []string{"v1.2.0"}, "1.2.0", "v1.2.0"},

		// Ranges.
		{"caret", []string{"1.1.0", "1.2.0", "1.3.4", "2.0.0"}, "^1.2", "1.3.4"},
		{"tilde", []string{"1.2.3", "1.2.9", "1.3.0"}, "~1.2.3", "1.2.9"},
		{"and range with space", []string{"0.9.0", "1.0.0", "1.9.9", "2.0.0"}, ">=1 <2", "1.9.9"},
		{"x range", []string{"1.0.0", "1.4.0", "2.1.0"}, "1.x", "1.4.0"},
		{"partial version is a range", []string{"1.2.0", "1.2.7", "1.3.0"}, "1.2", "1.2.7"},
		{"or range", []string{"1.0.0", "3.0.0", "4.0.0"}, "^1 || ^3", "3.0.0"},
		{"range skips prereleases", []string{"1.0.0", "1.1.0-rc.1"}, "^1", "1.0.0"},
		{"range naming a prerelease includes them", []string{"2.0.0-beta.1", "2.0.0-rc.1"}, ">=2.0.0-0", "2.0.0-rc.1"},
		{"range matches build metadata tags", []string{"1.0.0", "1.1.0_b"}, "^1.0", "1.1.0_b"},
		{"range never returns signature tags", []string{"1.0.0", "1.0.1.sig"}, "^1", "1.0.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Select(tc.tags, tc.query)
			if err != nil {
				t.Fatalf("Select(%q, %q): %v", tc.tags, tc.query, err)
			}
			if got != tc.want {
				t.Errorf("Select(%q, %q) = %q, want %q", tc.tags, tc.query, got, tc.want)
			}
		})
	}
}

func TestSelectNoMatch(t *testing.T) {
	for _, tc := range []struct {
		name      string
		tags      []string
		query     string
		available []string
		fragments []string
	}{
		{
			name:      "range above everything",
			tags:      []string{"1.0.0", "2.0.0-rc.1", "1.2.0"},
			query:     "^3",
			available: []string{"2.0.0-rc.1", "1.2.0", "1.0.0"},
			fragments: []string{`no version matches "^3"`, "available: 2.0.0-rc.1, 1.2.0, 1.0.0", "range that includes one"},
		},
		{
			name:      "nothing published",
			tags:      nil,
			query:     "",
			available: []string{},
			fragments: []string{`"latest"`, "no versions published", "mpak bundle push"},
		},
		{
			name:      "only signatures published",
			tags:      []string{"sha256-" + hex64, "sha256-" + hex64 + ".sig"},
			query:     "latest",
			available: []string{},
			fragments: []string{"no versions published"},
		},
		{
			name:      "only prereleases and latest",
			tags:      []string{"2.0.0-rc.1", "2.0.0-beta.3"},
			query:     "latest",
			available: []string{"2.0.0-rc.1", "2.0.0-beta.3"},
			fragments: []string{"only prereleases are published", `e.g. "2.0.0-rc.1"`},
		},
		{
			name:      "prerelease in range is skipped",
			tags:      []string{"1.0.0", "2.1.0-rc.1"},
			query:     "^2",
			available: []string{"2.1.0-rc.1", "1.0.0"},
			fragments: []string{"prerelease 2.1.0-rc.1 is in range", `ask for "2.1.0-rc.1" exactly`},
		},
		{
			// 2.0.0-rc.1 precedes 2.0.0, so ^2 excludes it even with
			// prereleases allowed: no prerelease hint.
			name:      "prerelease below the range",
			tags:      []string{"1.0.0", "2.0.0-rc.1"},
			query:     "^2",
			available: []string{"2.0.0-rc.1", "1.0.0"},
			fragments: []string{"range that includes one"},
		},
		{
			name:      "missing exact tag",
			tags:      []string{"1.0.0", "dev"},
			query:     "1.5.0",
			available: []string{"1.0.0", "dev"},
			fragments: []string{`"1.5.0"`},
		},
		{
			name:      "missing non-semver tag",
			tags:      []string{"1.0.0"},
			query:     "nightly",
			available: []string{"1.0.0"},
			fragments: []string{`"nightly"`},
		},
		{
			name:      "no semver for latest",
			tags:      []string{"dev", "main"},
			query:     "",
			available: []string{"dev", "main"},
			fragments: []string{"ask for one of the available tags by name"},
		},
		{
			name:      "build metadata shown with plus",
			tags:      []string{"1.0.0_b"},
			query:     "^2",
			available: []string{"1.0.0+b"},
			fragments: []string{"available: 1.0.0+b)"},
		},
		{
			name:      "exact signature tag is not a version",
			tags:      []string{"1.0.0", "sha256-" + hex64},
			query:     "sha256-" + hex64,
			available: []string{"1.0.0"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Select(tc.tags, tc.query)
			var nm *NoMatchError
			if !errors.As(err, &nm) {
				t.Fatalf("Select(%q, %q) = %q, %v; want a *NoMatchError", tc.tags, tc.query, got, err)
			}
			if nm.Query != tc.query || !slices.Equal(nm.Available, tc.available) {
				t.Errorf("NoMatchError = %+v, want query %q available %q", nm, tc.query, tc.available)
			}
			for _, f := range tc.fragments {
				if !strings.Contains(err.Error(), f) {
					t.Errorf("error %q does not contain %q", err, f)
				}
			}
		})
	}
}

func TestNoMatchErrorTruncates(t *testing.T) {
	var tags []string
	for i := range 25 {
		tags = append(tags, "1."+string(rune('a'+i))+"-x")
	}
	err := &NoMatchError{Query: "^9", Available: Versions(tags)}
	msg := err.Error()
	if !strings.Contains(msg, "… (15 more)") {
		t.Errorf("error does not report the 15 versions left out: %q", msg)
	}
	if strings.Contains(msg, tags[len(tags)-1]) {
		t.Errorf("error lists more than %d versions: %q", maxListed, msg)
	}
}

func TestSelectInvalidQuery(t *testing.T) {
	for _, q := range []string{"^^1", "not a version", "1.2.0 bogus", ">=y", "foo/bar", "@1.0", " ^1", "1.0 "} {
		_, err := Select([]string{"1.0.0"}, q)
		if !errors.Is(err, ErrInvalidQuery) {
			t.Errorf("Select(%q) error = %v, want ErrInvalidQuery", q, err)
			continue
		}
		if strings.TrimSpace(q) != q {
			if !strings.Contains(err.Error(), "remove the spaces") {
				t.Errorf("Select(%q) error %q does not say to remove the spaces", q, err)
			}
			continue
		}
		for _, f := range []string{q, "^1.2", "~1.2.3", "latest"} {
			if !strings.Contains(err.Error(), f) {
				t.Errorf("Select(%q) error %q does not mention %q", q, err, f)
			}
		}
	}
}

func TestValidateQuery(t *testing.T) {
	for _, q := range []string{"", "latest", "1.2.0", "1.2.0+b", "dev", "^1.2", "~1.2.3", ">=1 <2", "1.x", "1.2", "*", "^1 || ^2"} {
		if err := ValidateQuery(q); err != nil {
			t.Errorf("ValidateQuery(%q) = %v, want nil", q, err)
		}
	}
}

func FuzzSelect(f *testing.F) {
	seeds := []struct{ tags, query string }{
		{"1.0.0,1.2.0,2.0.0", "^1.2"},
		{"1.0.0,2.0.0-rc.1,latest", "latest"},
		{"1.2.0_b,1.2.0_c", "1.2.0+c"},
		{"v1.0.0,sha256-" + hex64 + ",sha256-" + hex64 + ".sig", ""},
		{"dev,main", ">=1 <2"},
		{"1,1.2,1.2.3", "1.x"},
		{"", "~1.2.3"},
	}
	for _, s := range seeds {
		f.Add(s.tags, s.query)
	}
	f.Fuzz(func(t *testing.T, joined, query string) {
		tags := strings.Split(joined, ",")
		got, err := Select(tags, query)
		if err != nil {
			return
		}
		if !slices.Contains(tags, got) {
			t.Fatalf("Select(%q, %q) = %q, not one of the tags", tags, query, got)
		}
		if !IsVersionTag(got) {
			t.Fatalf("Select(%q, %q) = %q, not a version tag", tags, query, got)
		}
		// Selection cannot depend on the order the registry listed tags in.
		reversed := slices.Clone(tags)
		slices.Reverse(reversed)
		if again, err := Select(reversed, query); err != nil || again != got {
			t.Fatalf("Select on reversed tags = %q, %v; want %q", again, err, got)
		}
	})
}
