package api

import (
	"regexp"
	"strings"
)

// component is one path component of an OCI repository name (the
// distribution spec's rule). Scopes and names become such components, so
// a request naming anything else cannot match a bundle.
var component = regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$`)

// names maps mpak names onto repositories the way the mpak client does with
// MPAK_REGISTRY=host/namespace: @scope/name lives in <namespace>/scope/name.
// A repository outside that shape (deeper, shallower, or outside the
// namespace) has no @-name and is addressed by its path.
type names struct{ namespace string }

// repository returns the repository @scope/name lives in.
func (n names) repository(scope, name string) string {
	if n.namespace == "" {
		return scope + "/" + name
	}
	return n.namespace + "/" + scope + "/" + name
}

// display returns "@scope/name" for a repository that maps to one, else
// the repository path, so every name the API returns can be requested back.
func (n names) display(repository string) string {
	if rest, ok := n.scoped(repository); ok {
		return "@" + rest
	}
	return repository
}

// scoped returns "scope/name" when repository maps to "@scope/name".
func (n names) scoped(repository string) (string, bool) {
	rest := repository
	if n.namespace != "" {
		var ok bool
		if rest, ok = strings.CutPrefix(repository, n.namespace+"/"); !ok {
			return "", false
		}
	}
	if strings.Count(rest, "/") != 1 {
		return "", false
	}
	return rest, true
}

// resolve turns what a URL names — "@scope/name" or a repository path —
// into a repository.
func (n names) resolve(name string) (string, error) {
	if scoped, ok := strings.CutPrefix(name, "@"); ok {
		scope, bare, _ := strings.Cut(scoped, "/")
		if scope == "" || bare == "" || strings.Contains(bare, "/") {
			return "", badRequest("bundle name %q: write @scope/name, e.g. @acme/weather", name)
		}
		if err := checkComponents(name, scope, bare); err != nil {
			return "", err
		}
		return n.repository(scope, bare), nil
	}
	if name == "" {
		return "", badRequest("the bundle name is missing: request /v1/bundles/@scope/name")
	}
	if err := checkComponents(name, strings.Split(name, "/")...); err != nil {
		return "", err
	}
	return name, nil
}

func checkComponents(name string, parts ...string) error {
	for _, p := range parts {
		if component.MatchString(p) {
			continue
		}
		if p != strings.ToLower(p) {
			return badRequest("bundle name %q has uppercase letters; names are lowercase: %q", name, strings.ToLower(name))
		}
		return badRequest("bundle name %q: %q is not a valid name part (lowercase letters, digits, and '.', '_' or '-' between them)", name, p)
	}
	return nil
}

// Bundle routes, after /v1/bundles/<name>.
const (
	routeDetail   = "detail"
	routeVersions = "versions"
	routeVersion  = "version"
	routeDownload = "download"
	routeBadge    = "badge"
)

// bundleRoute is a parsed /v1/bundles/... path.
type bundleRoute struct {
	name    string // as requested: "@scope/name" or a repository path
	kind    string
	version string // for routeVersion and routeDownload
}

// parseBundlePath splits the path after /v1/bundles/. An @-name has a fixed
// two-part shape, so what follows it is unambiguous. A repository path is
// read from the right: a repository whose path itself ends in "versions"
// or "badge.svg" must be requested by its @-name.
func parseBundlePath(p string) bundleRoute {
	p = strings.TrimSuffix(p, "/")
	if strings.HasPrefix(p, "@") {
		segs := strings.SplitN(p, "/", 3)
		if len(segs) < 2 {
			return bundleRoute{name: p, kind: routeDetail} // resolve explains
		}
		rest := ""
		if len(segs) == 3 {
			rest = segs[2]
		}
		return routeOf(segs[0]+"/"+segs[1], strings.Split(rest, "/"))
	}
	segs := strings.Split(p, "/")
	n := len(segs)
	switch {
	case n >= 2 && segs[n-1] == "badge.svg":
		return bundleRoute{name: strings.Join(segs[:n-1], "/"), kind: routeBadge}
	case n >= 2 && segs[n-1] == "versions":
		return bundleRoute{name: strings.Join(segs[:n-1], "/"), kind: routeVersions}
	case n >= 4 && segs[n-3] == "versions" && segs[n-1] == "download":
		return bundleRoute{name: strings.Join(segs[:n-3], "/"), kind: routeDownload, version: segs[n-2]}
	case n >= 3 && segs[n-2] == "versions":
		return bundleRoute{name: strings.Join(segs[:n-2], "/"), kind: routeVersion, version: segs[n-1]}
	}
	return bundleRoute{name: p, kind: routeDetail}
}

// routeOf reads the route after an @-name; an unknown one has no kind.
func routeOf(name string, rest []string) bundleRoute {
	r := bundleRoute{name: name}
	switch {
	case len(rest) == 1 && rest[0] == "":
		r.kind = routeDetail
	case len(rest) == 1 && rest[0] == "badge.svg":
		r.kind = routeBadge
	case len(rest) == 1 && rest[0] == "versions":
		r.kind = routeVersions
	case len(rest) == 2 && rest[0] == "versions" && rest[1] != "":
		r.kind, r.version = routeVersion, rest[1]
	case len(rest) == 3 && rest[0] == "versions" && rest[1] != "" && rest[2] == "download":
		r.kind, r.version = routeDownload, rest[1]
	}
	return r
}
