package ref

import (
	"oras.land/oras-go/v2/registry"
)

// Reference names a repository and, optionally, a version in it.
type Reference struct {
	// Registry is host[:port].
	Registry string
	// Repository is the path within the registry, e.g. "acme/mcp/acme/weather".
	Repository string
	// Version is what the user asked for and is resolved against the tag list
	// later (see package resolve): "" (latest), "latest", an exact version or
	// tag ("1.2.0"), or a semver range ("^1.2", "~1.2.3", ">=1 <2", "1.x").
	Version string
	// Digest is "<alg>:<hex>" when the reference pins content.
	Digest string
	// Scope and Name are set only for @scope/name references, so commands
	// can show and record the name the user knows.
	Scope, Name string
}

// IsMpak reports whether the reference was written as @scope/name.
func (r Reference) IsMpak() bool {
	return r.Scope != ""
}

// RepositoryRef returns "host/repository".
func (r Reference) RepositoryRef() string {
	return r.Registry + "/" + r.Repository
}

// String returns the fully qualified OCI form, host/repository[:tag][@digest],
// which oras, crane and docker accept when Version is a tag. A Version that
// cannot be a tag (a range, or build metadata with '+') is written after '@'
// instead, which Parse reads back; other tools will reject it, as they should,
// because it must be resolved first.
func (r Reference) String() string {
	s := r.RepositoryRef()
	if r.Version != "" {
		if isTag(r.Version) {
			s += ":" + r.Version
		} else {
			s += "@" + r.Version
		}
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// Display returns the reference the way the user knows it: @scope/name[@version]
// for mpak references, String() otherwise.
func (r Reference) Display() string {
	if !r.IsMpak() {
		return r.String()
	}
	s := "@" + r.Scope + "/" + r.Name
	if r.Version != "" {
		s += "@" + r.Version
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// WithVersion returns a copy that names the exact version or tag v, typically
// the tag resolve.Select chose. The digest is cleared because it pinned the
// old version, not v.
func (r Reference) WithVersion(v string) Reference {
	r.Version = v
	r.Digest = ""
	return r
}

// isTag reports whether v fits the OCI tag grammar; oras-go's check is used
// so String agrees with what oras will accept.
func isTag(v string) bool {
	return registry.Reference{Reference: v}.ValidateReferenceAsTag() == nil
}
