package ref

import (
	"fmt"
	"strings"

	"oras.land/oras-go/v2/registry"

	"github.com/mpak-oci/mpak/oci/resolve"
)

// Parse parses a reference in either form:
//
//	@scope/name[@version|@digest|@version@digest]   mapped through d
//	host[:port]/repository[:tag|@version][@digest]
//
// version may be a range with spaces ("@acme/weather@>=1 <2"); quote it as
// one shell argument. A first path component counts as a host when it
// contains '.' or ':' or is "localhost", as in docker, so "acme/weather" is
// rejected rather than silently sent to some registry.
func Parse(s string, d Defaults) (Reference, error) {
	if strings.TrimSpace(s) == "" {
		return Reference{}, refError(s, "the reference is empty: write @scope/name[@version] or host/repository[:tag]")
	}
	if strings.TrimSpace(s) != s {
		return Reference{}, refError(s, "it has leading or trailing whitespace: remove it (a range such as \"@scope/name@>=1 <2\" must be quoted as one argument)")
	}
	if strings.HasPrefix(s, "@") {
		return parseMpak(s, d)
	}
	return parseQualified(s, d)
}

// parseMpak parses @scope/name[@version][@digest].
func parseMpak(s string, d Defaults) (Reference, error) {
	names, rest, hasAt := strings.Cut(s[1:], "@")
	scope, name, ok := strings.Cut(names, "/")
	if !ok || scope == "" || name == "" {
		return Reference{}, refError(s, "mpak references name a scope and a package: write @scope/name[@version]")
	}
	if strings.Contains(name, "/") {
		return Reference{}, refError(s, "mpak references have exactly two parts, @scope/name; for a deeper repository write host/%s", names)
	}
	if n, v, ok := strings.Cut(name, ":"); ok {
		return Reference{}, refError(s, "the version follows '@' in mpak references: write @%s/%s@%s", scope, n, v)
	}
	if reason := checkComponent("scope", scope); reason != "" {
		return Reference{}, refError(s, "%s", reason)
	}
	if reason := checkComponent("name", name); reason != "" {
		return Reference{}, refError(s, "%s", reason)
	}
	if hasAt && rest == "" {
		return Reference{}, refError(s, "nothing follows '@': add a version (@%s@1.2.0) or drop the '@' for the latest", names)
	}
	version, dgst, err := splitVersionDigest(s, names, rest)
	if err != nil {
		return Reference{}, err
	}
	r := Reference{
		Registry:   d.registry(),
		Repository: d.repository(scope, name),
		Version:    version,
		Digest:     dgst,
		Scope:      scope,
		Name:       name,
	}
	if err := checkRepository(s, r); err != nil {
		return Reference{}, err
	}
	return r, nil
}

// parseQualified parses host[:port]/repository[:tag|@version][@digest].
func parseQualified(s string, d Defaults) (Reference, error) {
	host, path, hasSlash := strings.Cut(s, "/")
	if !hasSlash || !looksLikeHost(host) {
		if !hasSlash && isHostPort(s) {
			host, _, _ := strings.Cut(s, "@")
			return Reference{}, refError(s, "it names a registry but no repository: write %s/<repository>[:tag], e.g. %s/acme/weather:1.0.0", host, host)
		}
		return Reference{}, refError(s, "%s", noHostReason(s, d))
	}

	// The digest is always last, after the last '@'.
	var dgst string
	if i := strings.LastIndex(path, "@"); i >= 0 && looksLikeDigest(path[i+1:]) {
		dgst = path[i+1:]
		if reason := checkDigest(dgst); reason != "" {
			return Reference{}, refError(s, "%s", reason)
		}
		path = path[:i]
	}

	repo, version, hasVersion := strings.Cut(path, "@")
	if hasVersion {
		// host/repo@<version or range>: mpak's extension for ranges, which
		// cannot be tags.
		if strings.Contains(repo, ":") {
			return Reference{}, refError(s, "it has both a :tag and an @version: keep one of them")
		}
		if version == "" {
			return Reference{}, refError(s, "nothing follows '@': add a version (%s/%s@1.2.0) or a digest (@sha256:<hex>)", host, repo)
		}
		if err := resolve.ValidateQuery(version); err != nil {
			return Reference{}, &Error{What: "reference", Input: s, Reason: err.Error(), Err: err}
		}
	} else if i := strings.LastIndex(path, ":"); i >= 0 {
		repo, version = path[:i], path[i+1:]
		if reason := checkTag(version, host, repo); reason != "" {
			return Reference{}, refError(s, "%s", reason)
		}
	}

	if repo == "" {
		return Reference{}, refError(s, "the repository is empty: write %s/<repository>[:tag]", host)
	}
	if reason := checkPath("repository", repo); reason != "" {
		return Reference{}, refError(s, "%s", reason)
	}
	r := Reference{Registry: host, Repository: repo, Version: version, Digest: dgst}
	if err := checkRepository(s, r); err != nil {
		return Reference{}, err
	}
	return r, nil
}

// splitVersionDigest splits what follows "@scope/name@" into a version and a
// digest; either may be empty. names is "scope/name", for suggestions.
func splitVersionDigest(input, names, rest string) (version, dgst string, err error) {
	version = rest
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		version, dgst = rest[:i], rest[i+1:]
		if !looksLikeDigest(dgst) {
			return "", "", refError(input, "%q is not a digest, and only a digest may follow the version: write @%s@%s@sha256:<hex>", dgst, names, version)
		}
		if version == "" {
			return "", "", refError(input, "the version before '@%s' is empty: remove the extra '@'", dgst)
		}
	} else if looksLikeDigest(rest) {
		version, dgst = "", rest
	}
	if dgst != "" {
		if reason := checkDigest(dgst); reason != "" {
			return "", "", refError(input, "%s", reason)
		}
	}
	if err := resolve.ValidateQuery(version); err != nil {
		return "", "", &Error{What: "reference", Input: input, Reason: err.Error(), Err: err}
	}
	return version, dgst, nil
}

// checkTag returns why tag cannot follow ':' in host/repo:tag, or "".
func checkTag(tag, host, repo string) string {
	if isTag(tag) {
		return ""
	}
	if tag == "" {
		return fmt.Sprintf("nothing follows ':': add a tag (%s/%s:1.2.0) or drop the ':'", host, repo)
	}
	if mapped, err := resolve.TagFor(tag); err == nil {
		// Build metadata: '+' is a version character but not a tag character.
		return fmt.Sprintf("tags cannot contain '+': write %s/%s:%s (the tag it is published as) or %s/%s@%s", host, repo, mapped, host, repo, tag)
	}
	if resolve.ValidateQuery(tag) == nil {
		return fmt.Sprintf("%q is a range, not a tag: write %s/%s@%s to resolve it", tag, host, repo, tag)
	}
	return resolve.CheckTag(tag).Error()
}

// checkRepository has oras-go validate the registry and repository as a
// whole, so nothing this package accepts is refused by the client that
// later talks to the registry, and enforces the total length limit.
func checkRepository(input string, r Reference) error {
	if n := len(r.RepositoryRef()); n > maxNameLength {
		return refError(input, "%q is %d characters long, more than the %d registries accept: shorten the repository or namespace", r.RepositoryRef(), n, maxNameLength)
	}
	if _, err := registry.ParseReference(r.RepositoryRef()); err != nil {
		return &Error{What: "reference", Input: input,
			Reason: fmt.Sprintf("registry %q is not a valid host[:port]: write e.g. ghcr.io or localhost:5000", r.Registry), Err: err}
	}
	return nil
}

// isHostPort reports whether s (ignoring any @digest) is clearly a bare
// registry address rather than name:tag: it contains '.', is localhost, is a
// bracketed IPv6 address, or ends in a numeric port.
func isHostPort(s string) bool {
	s, _, _ = strings.Cut(s, "@")
	if strings.HasPrefix(s, "[") {
		return true
	}
	host, port, ok := strings.Cut(s, ":")
	if !ok {
		return strings.Contains(s, ".") || s == "localhost"
	}
	return host != "" && port != "" && strings.Trim(port, "0123456789") == ""
}

// noHostReason explains a reference without a registry host and suggests
// both fixes, filled in with the user's own names.
func noHostReason(s string, d Defaults) string {
	// Split off a :tag or @version to rebuild the suggestions.
	path, version := s, ""
	if i := strings.IndexAny(s, ":@"); i >= 0 {
		path, version = s[:i], s[i+1:]
	}
	mpak := "@scope/name"
	if scope, name, ok := strings.Cut(path, "/"); ok && !strings.Contains(name, "/") &&
		checkComponent("", scope) == "" && checkComponent("", name) == "" {
		mpak = "@" + path
		if version != "" {
			mpak += "@" + version
		}
	}
	return fmt.Sprintf("it has no registry host: write host/%s (e.g. %s/%s), or %s to use the default registry",
		s, d.registry(), s, mpak)
}
