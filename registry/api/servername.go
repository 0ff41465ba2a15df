package api

import (
	"context"
	"encoding/hex"
	"errors"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/registry/catalog"
)

// serverNamePattern is what the official MCP Registry accepts as a server
// name: a reverse-DNS namespace, one slash, a name, each starting and
// ending with a letter or digit (its server.json schema's pattern, and its
// publish-time check of the ends).
var serverNamePattern = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?/[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9])?$`)

// DefaultServerNamespace is the namespace of derived server names when no
// public host is configured (or it is a loopback address): "localhost",
// which RFC 6761 reserves for the local machine, so a derived name never
// claims a real domain, and stays the same whatever Host a request uses.
const DefaultServerNamespace = "localhost"

// serverName is a version's name in the MCP Registry API. A publisher who
// registered the server elsewhere declares its name in the
// io.modelcontextprotocol.server.name annotation, and that name is kept so
// both registries agree. Otherwise the name is derived from the
// registry's namespace and where the bundle lives (see derivedName). An
// annotation the official registry would refuse is ignored rather than
// served.
func serverName(ns string, v *catalog.Version) string {
	if n := v.Annotations[mediatypes.AnnotationMCPName]; serverNamePattern.MatchString(n) {
		return n
	}
	return derivedName(ns, v.Repository)
}

// derivedName names a repository reverse-DNS style: the namespace ns
// (serverNamespace) followed by the repository's directories, all joined
// by dots; the name is the repository's last component. So with
// registry.example.com, acme/weather is com.example.registry.acme/weather
// and org/team/tool is com.example.registry.org.team/tool. Namespaces may
// not contain '_', so directories have theirs replaced by '-' (OCI path
// components start and end with a letter or digit, so every label does).
func derivedName(ns, repository string) string {
	name := repository
	if i := strings.LastIndexByte(repository, '/'); i >= 0 {
		dirs := strings.NewReplacer("/", ".", "_", "-").Replace(repository[:i])
		ns, name = ns+"."+dirs, repository[i+1:]
	}
	return ns + "/" + name
}

// serverNamespace is the namespace derived server names start with, from
// the configured public host: its DNS labels reversed, the port dropped
// (registry.example.com:5000 is com.example.registry). Names must not
// change with the name a client reached the server by, so the request's
// Host is never used: without a public host, or with a loopback one, it is
// DefaultServerNamespace. Any other IP address is written as its
// reverse-lookup name reversed (10.1.2.3 is arpa.in-addr.10.1.2.3), which
// is a DNS name, unlike the bare address.
func serverNamespace(publicHost string) string {
	h := publicHost
	if hh, _, err := net.SplitHostPort(publicHost); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
	if ip := net.ParseIP(h); ip != nil {
		switch {
		case ip.IsLoopback() || ip.IsUnspecified():
			return DefaultServerNamespace
		case ip.To4() != nil:
			return "arpa.in-addr." + ip.To4().String()
		}
		nibbles := make([]string, 0, 32)
		for _, c := range hex.EncodeToString(ip.To16()) {
			nibbles = append(nibbles, string(c))
		}
		return "arpa.ip6." + strings.Join(nibbles, ".")
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if !dnsLabel.MatchString(l) {
			// Not a host name (a typo, or empty): the default stays
			// valid where a mangled host would not.
			return DefaultServerNamespace
		}
	}
	if h == "localhost" {
		return DefaultServerNamespace
	}
	slices.Reverse(labels)
	return strings.Join(labels, ".")
}

// dnsLabel is one label of a host name (RFC 1123).
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// rescanEvery bounds how often a lookup of an unknown server name may read
// the whole catalog: names that cannot be inverted (annotations) are found
// by a scan, and requests for names that do not exist must not turn into
// one scan each.
const rescanEvery = 10 * time.Second

// serverNames finds the repository a server name belongs to.
type serverNames struct {
	a *api

	mu sync.Mutex
	// byName maps a server name to the repositories carrying it, from the
	// last scan of the whole catalog: it is shared by clients who may read
	// different parts of it. A name declared in several repositories (a
	// private fork of a public server, say) keeps them all, so a client
	// finds the one it may read.
	byName  map[string][]string
	scanned time.Time
}

func newServerNames(a *api) *serverNames { return &serverNames{a: a} }

// versions returns the versions (highest first) whose server name is name,
// and every version of their repository, for telling which is latest.
// Nothing found is a *apiError 404.
func (s *serverNames) versions(ctx context.Context, name string) (named, all []catalog.Version, err error) {
	try := func(repository string) (bool, error) {
		vs, err := s.a.store.Versions(ctx, repository)
		if err != nil && !errors.Is(err, catalog.ErrNotFound) {
			return false, err
		}
		named = named[:0]
		for _, v := range vs {
			if serverName(s.a.serverNS, &v) == name {
				named = append(named, v)
			}
		}
		all = vs
		return len(named) > 0, nil
	}
	// A derived name usually inverts to its repository directly, which
	// also finds versions pushed a moment ago.
	for _, repository := range derivedCandidates(s.a.serverNS, name) {
		if ok, err := try(repository); ok || err != nil {
			return named, all, err
		}
	}
	// Otherwise the last scan knows; when the repositories it names no
	// longer carry the name (their versions were deleted or renamed) it is
	// forgotten and looked up once more. Repositories this client may not
	// read are not tried: to it the name is unknown, and to others it
	// still stands.
	readable := readableOf(ctx)
	for range 2 {
		repositories, err := s.lookup(ctx, name)
		if err != nil {
			return nil, nil, err
		}
		tried := false
		for _, repository := range repositories {
			if !readable(repository) {
				continue
			}
			tried = true
			if ok, err := try(repository); ok || err != nil {
				return named, all, err
			}
		}
		if !tried {
			break
		}
		s.forget(name)
	}
	return nil, nil, serverNotFound(name)
}

func (s *serverNames) forget(name string) {
	s.mu.Lock()
	delete(s.byName, name)
	s.mu.Unlock()
}

// lookup consults the name table of the last scan, rescanning when the
// name is not in it and the scan is old enough; a 404 when the name is
// nowhere.
func (s *serverNames) lookup(ctx context.Context, name string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if repositories, ok := s.byName[name]; ok {
		return repositories, nil
	}
	if time.Since(s.scanned) < rescanEvery {
		return nil, serverNotFound(name)
	}
	byName := map[string][]string{}
	after := ""
	const page = 1000
	for {
		vs, err := s.a.all.List(ctx, after, time.Time{}, false, page)
		if err != nil {
			return nil, err
		}
		for i := range vs {
			n := serverName(s.a.serverNS, &vs[i])
			if rs := byName[n]; len(rs) == 0 || rs[len(rs)-1] != vs[i].Repository {
				byName[n] = append(rs, vs[i].Repository)
			}
		}
		if len(vs) < page {
			break
		}
		after = catalog.Cursor(&vs[len(vs)-1])
	}
	s.byName, s.scanned = byName, time.Now()
	if repositories, ok := byName[name]; ok {
		return repositories, nil
	}
	return nil, serverNotFound(name)
}

// derivedCandidates inverts derivedName: the repositories whose derived
// name could be name. Dots in the namespace are either separators or part
// of a directory; the two readings that occur in practice are tried (every
// dot a separator, or one dotted directory). Callers check each candidate
// really carries the name.
func derivedCandidates(serverNS, name string) []string {
	ns, last, ok := strings.Cut(name, "/")
	if !ok || !component.MatchString(last) {
		return nil
	}
	if ns == serverNS {
		return []string{last}
	}
	dirs, ok := strings.CutPrefix(ns, serverNS+".")
	if !ok || dirs == "" {
		return nil
	}
	var out []string
	for _, repo := range []string{strings.ReplaceAll(dirs, ".", "/") + "/" + last, dirs + "/" + last} {
		if !slices.Contains(out, repo) && validRepository(repo) {
			out = append(out, repo)
		}
	}
	return out
}

func validRepository(repo string) bool {
	for _, c := range strings.Split(repo, "/") {
		if !component.MatchString(c) {
			return false
		}
	}
	return true
}

func serverNotFound(name string) error {
	return notFound("server %q not found: list the servers with /v0.1/servers?search=%s", name, name[strings.LastIndexByte(name, '/')+1:])
}
