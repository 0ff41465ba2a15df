package ref

import (
	"fmt"
	"strings"
	"unicode"

	"oras.land/oras-go/v2/registry"
)

// DefaultRegistry is where @scope/name references point when no default
// registry is configured: the address mpakd listens on out of the box, so a
// fresh install works end to end without configuration.
const DefaultRegistry = "localhost:5000"

// Defaults maps @scope/name references onto a registry. It is configured as
// MPAK_REGISTRY=host[/namespace]; @scope/name then lives in the repository
// <namespace>/<scope>/<name> on host. The namespace lets an organisation keep
// bundles under one prefix of a shared registry (ghcr.io/acme/mcp).
type Defaults struct {
	// Registry is host[:port]; empty means DefaultRegistry.
	Registry string
	// Namespace is the repository prefix, possibly empty.
	Namespace string
}

// ParseDefaults parses host[/namespace], e.g. "ghcr.io/acme/mcp" or
// "localhost:5000". An empty string yields DefaultRegistry, so an unset and
// an empty MPAK_REGISTRY behave the same. A trailing '/' is ignored.
func ParseDefaults(s string) (Defaults, error) {
	bad := func(format string, args ...any) (Defaults, error) {
		return Defaults{}, &Error{What: "default registry", Input: s, Reason: fmt.Sprintf(format, args...)}
	}
	const example = "write host[/namespace], e.g. ghcr.io/acme/mcp or localhost:5000"
	if s == "" {
		return Defaults{Registry: DefaultRegistry}, nil
	}
	if strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		return bad("it contains whitespace: %s", example)
	}
	if scheme, rest, ok := strings.Cut(s, "://"); ok {
		// The scheme is not configuration: HTTPS is used everywhere except
		// loopback registries (see IsLocalHost).
		return bad("drop the %s:// scheme and write %s", scheme, strings.TrimSuffix(rest, "/"))
	}
	host, namespace, _ := strings.Cut(strings.TrimSuffix(s, "/"), "/")
	if host == "" {
		return bad("the registry host is empty: %s", example)
	}
	if err := (registry.Reference{Registry: host}).ValidateRegistry(); err != nil {
		return bad("%q is not a valid registry host[:port]: %s", host, example)
	}
	if namespace != "" {
		if reason := checkPath("namespace", namespace); reason != "" {
			return bad("%s", reason)
		}
	}
	return Defaults{Registry: host, Namespace: namespace}, nil
}

// String returns the defaults in the form ParseDefaults accepts.
func (d Defaults) String() string {
	host := d.registry()
	if d.Namespace == "" {
		return host
	}
	return host + "/" + d.Namespace
}

// registry resolves the zero value to DefaultRegistry.
func (d Defaults) registry() string {
	if d.Registry == "" {
		return DefaultRegistry
	}
	return d.Registry
}

// repository returns the repository that holds @scope/name.
func (d Defaults) repository(scope, name string) string {
	if d.Namespace == "" {
		return scope + "/" + name
	}
	return d.Namespace + "/" + scope + "/" + name
}
