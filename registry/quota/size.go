package quota

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// units are the suffixes ParseSize accepts, lower-cased: SI (powers of
// 1000, as disks are sold and as docker prints) and IEC (powers of 1024).
var units = map[string]int64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
	"ki": 1 << 10, "kib": 1 << 10, "mi": 1 << 20, "mib": 1 << 20, "gi": 1 << 30, "gib": 1 << 30, "ti": 1 << 40, "tib": 1 << 40,
}

// ParseSize reads a size such as 500MB, 2GiB, 1.5 GB or 65536 (bytes).
// MB is 1000², MiB 1024², as on the disk's label; case does not matter.
// Not docker/go-units: it ignores the "i", so each of its parsers reads
// either 2GB or 2GiB about 7% off what was meant.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "-") {
		return 0, fmt.Errorf("size %q: cannot be negative", s)
	}
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(t)
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	if num == "" {
		return 0, fmt.Errorf("size %q: want a number of bytes with an optional unit, such as 500MB or 2GiB", s)
	}
	mult, ok := units[unit]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown unit %q (use B, kB, MB, GB, TB, or KiB, MiB, GiB, TiB)", s, t[i:])
	}
	v, ok := new(big.Rat).SetString(num)
	if !ok || strings.Count(num, ".") > 1 || strings.HasPrefix(num, ".") || strings.HasSuffix(num, ".") {
		return 0, fmt.Errorf("size %q: %q is not a number", s, num)
	}
	v.Mul(v, new(big.Rat).SetInt64(mult))
	// A fraction of a byte (1.0001kB) is dropped.
	n := new(big.Int).Quo(v.Num(), v.Denom())
	if !n.IsInt64() {
		return 0, fmt.Errorf("size %q: too large", s)
	}
	return n.Int64(), nil
}

// FormatSize prints n bytes with three significant digits, in IEC units
// (KiB…) when binary is true, else SI (kB…).
func FormatSize(n int64, binary bool) string {
	base, names := 1000.0, []string{"B", "kB", "MB", "GB", "TB", "PB", "EB"}
	if binary {
		base, names = 1024, []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	}
	v, i := float64(n), 0
	for math.Abs(v) >= base && i < len(names)-1 {
		v /= base
		i++
	}
	if i == 0 {
		return strconv.FormatInt(n, 10) + " B"
	}
	prec := 2
	switch {
	case math.Abs(v) >= 99.95:
		prec = 0
	case math.Abs(v) >= 9.995:
		prec = 1
	}
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s + " " + names[i]
}

// binaryUnits says whether sizes next to a quota of max read best in IEC
// units: a quota set as 64KiB shows as "64 KiB", not "65.5 kB".
func binaryUnits(max int64) bool { return max%1024 == 0 && max%1000 != 0 }

// Size is a flag value (pflag.Value) holding bytes, set with ParseSize.
type Size int64

func (s *Size) Set(v string) error {
	n, err := ParseSize(v)
	if err != nil {
		return err
	}
	*s = Size(n)
	return nil
}

// String prints the size in the largest unit that divides it exactly, so
// that it parses back to the same number.
func (s *Size) String() string {
	n := int64(*s)
	if n == 0 {
		return "0"
	}
	for _, u := range []struct {
		name string
		mult int64
	}{{"TiB", 1 << 40}, {"TB", 1e12}, {"GiB", 1 << 30}, {"GB", 1e9}, {"MiB", 1 << 20}, {"MB", 1e6}, {"KiB", 1 << 10}, {"kB", 1e3}} {
		if n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

func (*Size) Type() string { return "size" }
