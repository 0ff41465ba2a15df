package quota

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "65536": 65536, "10B": 10, "1kB": 1000, "1KB": 1000, "1k": 1000, "64KiB": 65536, "64ki": 65536,
		"500MB": 500_000_000, "500 MB": 500_000_000, "2GiB": 2 << 30, "2gib": 2 << 30, "1.5GB": 1_500_000_000,
		"1.5GiB": 3 << 29, " 1TB ": 1_000_000_000_000, "1TiB": 1 << 40, "1.0001kB": 1000,
	} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"": "want a number", "MB": "want a number", "-1MB": "negative", "5XB": "unknown unit",
		"1.2.3MB": "not a number", ".5MB": "not a number", "5.MB": "not a number", "1 2MB": "unknown unit",
		"9999999999TB": "too large", "5 MBs": "unknown unit",
	} {
		if _, err := ParseSize(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseSize(%q): error %v, want one saying %q", in, err, msg)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for _, c := range []struct {
		n    int64
		bin  bool
		want string
	}{
		{0, false, "0 B"}, {999, false, "999 B"}, {1000, false, "1 kB"}, {65536, false, "65.5 kB"}, {65536, true, "64 KiB"},
		{480_000_000, false, "480 MB"}, {500_000_000, false, "500 MB"}, {1_234_567, false, "1.23 MB"}, {2 << 30, true, "2 GiB"},
		{1023, true, "1023 B"}, {1536, true, "1.5 KiB"}, {99_960, false, "100 kB"},
	} {
		if got := FormatSize(c.n, c.bin); got != c.want {
			t.Errorf("FormatSize(%d, %v) = %q, want %q", c.n, c.bin, got, c.want)
		}
	}
}

func TestSizeFlag(t *testing.T) {
	for _, in := range []string{"0", "64KiB", "500MB", "2GiB", "1TB", "12345"} {
		var s Size
		if err := s.Set(in); err != nil {
			t.Fatal(err)
		}
		var back Size
		if err := back.Set(s.String()); err != nil || back != s {
			t.Errorf("%q printed as %q, which reads back as %d", in, s.String(), back)
		}
	}
	var s Size
	if err := s.Set("lots"); err == nil {
		t.Error(`Set("lots") was accepted`)
	}
	if s.Type() != "size" {
		t.Error(s.Type())
	}
}
