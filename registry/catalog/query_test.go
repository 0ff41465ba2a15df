package catalog

import (
	"testing"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		in, want Query
	}{
		{Query{}, Query{Sort: SortRelevance, Limit: DefaultLimit}},
		{Query{Sort: SortName, Limit: 5, Offset: 10}, Query{Sort: SortName, Limit: 5, Offset: 10}},
		{Query{Limit: -3, Offset: -1}, Query{Sort: SortRelevance, Limit: DefaultLimit}},
		{Query{Limit: MaxLimit + 1}, Query{Sort: SortRelevance, Limit: MaxLimit}},
		{Query{OS: "Linux", Arch: "AMD64"}, Query{Sort: SortRelevance, Limit: DefaultLimit, OS: "linux", Arch: "amd64"}},
	} {
		got, err := tc.in.Normalize()
		if err != nil || got != tc.want {
			t.Errorf("%+v.Normalize() = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, q := range []Query{{Sort: "stars"}, {OS: "linux/amd64"}, {Arch: "any "}, {OS: "*"}, {Arch: "x%"}} {
		if _, err := q.Normalize(); err == nil {
			t.Errorf("%+v normalized without error", q)
		}
	}
}

func TestCursor(t *testing.T) {
	v := &Version{Repository: "acme/weather", Version: "1.2.0-rc.1+build.5"}
	repository, version, key, err := ParseCursor(Cursor(v))
	if err != nil {
		t.Fatal(err)
	}
	wantKey, _ := SortKey(v.Version)
	if repository != v.Repository || version != v.Version || key != wantKey {
		t.Errorf("ParseCursor(Cursor(v)) = %q, %q, %q; want %q, %q, %q", repository, version, key, v.Repository, v.Version, wantKey)
	}
	for _, bad := range []string{"", "acme/weather", "acme/weather@", "@1.0.0", "acme/weather@latest"} {
		if _, _, _, err := ParseCursor(bad); err == nil {
			t.Errorf("ParseCursor(%q) succeeded, want an error", bad)
		}
	}
}
