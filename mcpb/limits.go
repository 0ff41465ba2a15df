package mcpb

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Limits cap what a bundle may make us read or write. Bundles come from
// strangers; without caps a few KiB of zip can fill a disk. A zero field
// means the default (DefaultLimits); a negative one disables that cap.
//
// The package never reads the environment: a program that lets its users
// raise a cap (mpak reads $MPAK_ARCHIVE_LIMITS) parses the setting with
// ParseLimits and passes the result in OpenOptions.Limits.
type Limits struct {
	// MaxFiles caps the number of zip entries.
	MaxFiles int
	// MaxUncompressed caps the total uncompressed size, both as declared
	// in the zip and as actually extracted.
	MaxUncompressed int64
	// MaxRatio caps uncompressed/compressed size per entry. It is only
	// applied to entries larger than 1 MiB: small text files legitimately
	// compress very well.
	MaxRatio int
	// MaxArchiveRatio caps the total uncompressed size over the size of the
	// zip itself. It is only applied once the total passes 32 MiB, so a
	// small bundle of text is never refused for compressing well. Per-entry
	// checks alone let a bomb through as many entries under 1 MiB each, and
	// entries that share compressed bytes; the zip's real size on disk is
	// the one figure a crafted header cannot inflate.
	MaxArchiveRatio int
	// MaxManifest caps the size of manifest.json.
	MaxManifest int64
}

// ratioFloor is the entry size below which MaxRatio is not applied.
const ratioFloor = 1 << 20

// archiveRatioFloor is the total uncompressed size below which
// MaxArchiveRatio is not applied: whatever its ratio, an archive cannot
// expand to more than this, which no disk notices.
const archiveRatioFloor = 32 << 20

// EnvLimits names the environment variable in which mpak's users set
// Limits, e.g. "files=100000,size=4GiB,ratio=200": the way to open a
// trusted bundle that a cap refuses. Keys are files, size, entry-ratio,
// ratio (the whole archive's) and manifest; "off" disables a cap. This
// package does not read it (see Limits); its errors name it as the fix.
const EnvLimits = "MPAK_ARCHIVE_LIMITS"

// DefaultLimits returns 50,000 files, 2 GiB uncompressed, a 100:1 ratio per
// entry and for the whole archive, and a 1 MiB manifest: far above real
// bundles (the largest the mcpb CLI is known to pack expand to 830 MB in
// 18,769 files; code and native binaries compress a few to one), far below
// harm. A bomb must be at least a hundredth of what it expands to, so
// filling 2 GiB of disk costs its author a 20 MiB download.
func DefaultLimits() Limits {
	return Limits{MaxFiles: 50000, MaxUncompressed: 2 << 30, MaxRatio: 100, MaxArchiveRatio: 100, MaxManifest: 1 << 20}
}

// resolve fills each zero field from DefaultLimits, so that callers can
// raise one cap without restating the others.
func (l Limits) resolve() Limits {
	return l.or(DefaultLimits())
}

// or fills each zero field of l from d.
func (l Limits) or(d Limits) Limits {
	if l.MaxFiles == 0 {
		l.MaxFiles = d.MaxFiles
	}
	if l.MaxUncompressed == 0 {
		l.MaxUncompressed = d.MaxUncompressed
	}
	if l.MaxRatio == 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.MaxArchiveRatio == 0 {
		l.MaxArchiveRatio = d.MaxArchiveRatio
	}
	if l.MaxManifest == 0 {
		l.MaxManifest = d.MaxManifest
	}
	return l
}

// ParseLimits reads the format of $MPAK_ARCHIVE_LIMITS: comma-separated
// key=value pairs, where a size may end in KB, MB, GB (powers of 1000) or
// KiB, MiB, GiB, and "off" disables a cap. Keys left out stay zero.
func ParseLimits(s string) (Limits, error) {
	var l Limits
	for kv := range strings.SplitSeq(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || v == "" {
			return Limits{}, fmt.Errorf("%q: want key=value, e.g. files=100000,size=4GiB,ratio=200", kv)
		}
		n, err := parseLimitValue(v)
		if err != nil {
			return Limits{}, fmt.Errorf("%s: %w", k, err)
		}
		switch k {
		case "files":
			l.MaxFiles = int(min(n, 1<<31-1))
		case "size":
			l.MaxUncompressed = n
		case "entry-ratio":
			l.MaxRatio = int(min(n, 1<<31-1))
		case "ratio":
			l.MaxArchiveRatio = int(min(n, 1<<31-1))
		case "manifest":
			l.MaxManifest = n
		default:
			return Limits{}, fmt.Errorf("unknown key %q: want files, size, entry-ratio, ratio or manifest", k)
		}
	}
	return l, nil
}

var sizeSuffixes = []struct {
	suffix string
	mult   int64
}{
	// Longest first, so that "MiB" is not taken for "B".
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1},
}

// parseLimitValue reads a positive count or size, or "off" (-1).
func parseLimitValue(v string) (int64, error) {
	if v == "off" {
		return -1, nil
	}
	mult := int64(1)
	for _, s := range sizeSuffixes {
		if num, ok := strings.CutSuffix(v, s.suffix); ok {
			v, mult = strings.TrimSpace(num), s.mult
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is not a positive number (or \"off\")", v)
	}
	return n * mult, nil
}

// raise tells the user how to lift the cap named key to need, the least
// value this bundle requires, should they trust it.
func raise(key string, need uint64) string {
	return fmt.Sprintf("if you trust this bundle, raise the limit: %s=%s=%d", EnvLimits, key, need)
}
