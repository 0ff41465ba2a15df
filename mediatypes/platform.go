package mediatypes

import (
	"fmt"
	"runtime"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Any is the wildcard for an OS or architecture a build does not depend on.
const Any = "any"

// Platform is an OS/architecture pair in GOOS/GOARCH names. Either part may be
// Any; the zero value is fully platform-independent.
type Platform struct {
	OS   string
	Arch string
}

// AnyPlatform is a build that runs everywhere its runtime does.
var AnyPlatform = Platform{OS: Any, Arch: Any}

// Host is the platform this process runs on.
func Host() Platform { return Platform{OS: runtime.GOOS, Arch: runtime.GOARCH} }

// mcpbOS and mcpbArch map Node's process.platform/process.arch names, which
// MCPB manifests use, onto Go's.
var (
	mcpbOS   = map[string]string{"win32": "windows", "macos": "darwin", "mac": "darwin"}
	mcpbArch = map[string]string{"x64": "amd64", "x86_64": "amd64", "ia32": "386", "aarch64": "arm64"}
)

// NormalizeOS maps an MCPB or Node OS name to its GOOS name.
func NormalizeOS(os string) string {
	os = strings.ToLower(strings.TrimSpace(os))
	if g, ok := mcpbOS[os]; ok {
		return g
	}
	return os
}

// NormalizeArch maps an MCPB or Node architecture name to its GOARCH name.
func NormalizeArch(arch string) string {
	arch = strings.ToLower(strings.TrimSpace(arch))
	if g, ok := mcpbArch[arch]; ok {
		return g
	}
	return arch
}

// ParsePlatform reads "os/arch", "os" (any arch) or "any". MCPB names such as
// win32 and x64 are accepted and normalised.
func ParsePlatform(s string) (Platform, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == Any || s == "any/any" {
		return AnyPlatform, nil
	}
	osName, arch, hasArch := strings.Cut(s, "/")
	if !hasArch {
		arch = Any
	}
	if strings.Contains(arch, "/") {
		return Platform{}, fmt.Errorf("platform %q: want os/arch such as linux/amd64 (variants are not supported)", s)
	}
	p := Platform{OS: NormalizeOS(osName), Arch: NormalizeArch(arch)}
	if p.OS == "" || p.Arch == "" {
		return Platform{}, fmt.Errorf("platform %q: want os/arch such as linux/amd64, darwin/arm64 or any", s)
	}
	if p.OS == Any && p.Arch != Any {
		return Platform{}, fmt.Errorf("platform %q: an architecture needs an OS (for example linux/%s)", s, p.Arch)
	}
	for _, part := range []string{p.OS, p.Arch} {
		for _, r := range part {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
				return Platform{}, fmt.Errorf("platform %q: %q is not a GOOS/GOARCH name", s, part)
			}
		}
	}
	return p, nil
}

// String renders the platform as "os/arch", or "any".
func (p Platform) String() string {
	if p.IsAny() {
		return Any
	}
	return p.OS + "/" + p.Arch
}

// IsAny reports whether the build is platform-independent.
func (p Platform) IsAny() bool { return (p.OS == "" || p.OS == Any) && (p.Arch == "" || p.Arch == Any) }

// OCI returns the OCI platform of an index entry, or nil when the build is not
// tied to one OS and architecture (those entries carry AnnotationPlatform).
func (p Platform) OCI() *ocispec.Platform {
	if p.OS == Any || p.Arch == Any || p.OS == "" || p.Arch == "" {
		return nil
	}
	return &ocispec.Platform{OS: p.OS, Architecture: p.Arch}
}

// FromDescriptor recovers the platform of an index entry: its OCI platform,
// else its AnnotationPlatform, else any.
func FromDescriptor(d ocispec.Descriptor) Platform {
	if d.Platform != nil && d.Platform.OS != "" {
		arch := d.Platform.Architecture
		if arch == "" {
			arch = Any
		}
		return Platform{OS: d.Platform.OS, Arch: arch}
	}
	if v, ok := d.Annotations[AnnotationPlatform]; ok {
		if p, err := ParsePlatform(v); err == nil {
			return p
		}
	}
	return AnyPlatform
}

// Match ranks how well a build for p serves a host: 3 exact, 2 same OS with
// any architecture, 1 platform-independent, 0 unusable.
func (p Platform) Match(host Platform) int {
	switch {
	case p.IsAny():
		return 1
	case p.OS == host.OS && p.Arch == host.Arch:
		return 3
	case p.OS == host.OS && p.Arch == Any:
		return 2
	}
	return 0
}
