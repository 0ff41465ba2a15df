package catalog

import (
	"math/rand/v2"
	"testing"

	"github.com/Masterminds/semver/v3"
)

// SortKey must order exactly as SemVer precedence: compare every pair of a
// list that exercises each rule of SemVer 2.0.0 §11.
func TestSortKeyOrdersLikeSemver(t *testing.T) {
	versions := []string{
		"0.0.0", "0.0.1", "0.1.0", "1.0.0", "1.0.1", "1.1.0", "1.9.0", "1.10.0", "2.0.0", "10.0.0",
		"18446744073709551615.0.0",
		"1.0.0-0", "1.0.0-1", "1.0.0-2", "1.0.0-10", "1.0.0-99999999999999999999",
		"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.2", "1.0.0-alpha.10", "1.0.0-alpha.beta",
		"1.0.0-alpha-1", "1.0.0-alpha0", "1.0.0-alphabet", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
		"1.0.0-rc.1", "1.0.0-RC.1", "1.0.0-rc.1.1", "1.0.0--", "1.0.0-0.a", "1.0.0-a.0",
		"1.0.0+build.1", "1.0.0-rc.1+build",
	}
	keys := map[string]string{}
	for _, v := range versions {
		k, err := SortKey(v)
		if err != nil {
			t.Fatalf("SortKey(%q): %v", v, err)
		}
		keys[v] = k
	}
	for _, a := range versions {
		for _, b := range versions {
			want := semver.MustParse(a).Compare(semver.MustParse(b))
			got := compare(keys[a], keys[b])
			if got != want {
				t.Errorf("%s vs %s: keys compare %d, semver %d (%q, %q)", a, b, got, want, keys[a], keys[b])
			}
		}
	}
}

// Random versions, to catch what the list above did not think of.
func TestSortKeyRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ids := []string{"0", "1", "2", "9", "10", "11", "100", "a", "b", "alpha", "alpha-1", "beta", "rc", "Z", "-", "a-b", "x1"}
	random := func() string {
		v := []string{"0", "1", "2", "10"}[r.IntN(4)] + "." + []string{"0", "3", "12"}[r.IntN(3)] + ".0"
		if r.IntN(3) > 0 {
			for i := range 1 + r.IntN(3) {
				if i == 0 {
					v += "-"
				} else {
					v += "."
				}
				v += ids[r.IntN(len(ids))]
			}
		}
		return v
	}
	for range 20000 {
		a, b := random(), random()
		ka, err := SortKey(a)
		if err != nil {
			t.Fatalf("SortKey(%q): %v", a, err)
		}
		kb, err := SortKey(b)
		if err != nil {
			t.Fatalf("SortKey(%q): %v", b, err)
		}
		if got, want := compare(ka, kb), semver.MustParse(a).Compare(semver.MustParse(b)); got != want {
			t.Fatalf("%s vs %s: keys compare %d, semver %d (%q, %q)", a, b, got, want, ka, kb)
		}
	}
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestSortKeyRejects(t *testing.T) {
	for _, v := range []string{"", "1", "1.0", "v1.0.0", "latest", "1.0.0-", "01.0.0", "1.0.0-01"} {
		if k, err := SortKey(v); err == nil {
			t.Errorf("SortKey(%q) = %q, want an error", v, k)
		}
	}
}

func TestIsPrerelease(t *testing.T) {
	for v, want := range map[string]bool{"1.0.0": false, "1.0.0-rc.1": true, "1.0.0+build": false, "1.0.0-0+b": true, "junk": false} {
		if got := IsPrerelease(v); got != want {
			t.Errorf("IsPrerelease(%q) = %v, want %v", v, got, want)
		}
	}
}
