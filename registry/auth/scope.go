package auth

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"oras.land/oras-go/v2/registry"
)

// Access is one entry of a token's grant, as the Docker token spec defines it.
type Access struct {
	Type    string   `json:"type"`    // "repository" (also "registry" for "registry:catalog:*")
	Name    string   `json:"name"`    // repository path, or "catalog"
	Actions []string `json:"actions"` // "pull", "push", "delete", "*"
}

// Resource types and Docker actions of the token spec.
const (
	scopeTypeRepository = "repository"
	scopeTypeRegistry   = "registry"

	dockerPull   = "pull"
	dockerPush   = "push"
	dockerDelete = "delete"
	dockerAll    = "*"
)

var (
	// resourcetype := resourcetypevalue [ '(' resourcetypevalue ')' ], as in the spec.
	scopeTypeRE = regexp.MustCompile(`^([a-z0-9]+)(?:\(([a-z0-9]+)\))?$`)
	// action := /[a-z]*/ in the spec, plus the "*" registries use for "everything".
	scopeActionRE = regexp.MustCompile(`^(?:[a-z]+|\*)$`)
)

// ParseScope parses a scope parameter of the token flow: one or more
// "type[(class)]:name:action[,action...]" separated by spaces. An empty
// string is no scope (docker login asks for a token without one).
//
// Actions outside pull/push/delete/* are accepted, as the spec allows any
// word there, but map to no Action, so no policy ever grants them. A
// resource class such as docker's "repository(plugin)" is dropped: mpakd
// makes no difference between classes.
func ParseScope(s string) ([]Access, error) {
	var out []Access
	for _, one := range strings.Fields(s) {
		a, err := parseOneScope(one)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func parseOneScope(s string) (Access, error) {
	// The type never holds ':' and the actions never do, but a name may (a
	// host:port prefix), so split at the first and at the last ':'.
	typ, rest, ok1 := strings.Cut(s, ":")
	i := strings.LastIndexByte(rest, ':')
	if !ok1 || i < 0 {
		return Access{}, fmt.Errorf("scope %q: want type:name:actions", s)
	}
	name, actions := rest[:i], rest[i+1:]
	m := scopeTypeRE.FindStringSubmatch(typ)
	if m == nil {
		return Access{}, fmt.Errorf("scope %q: malformed resource type %q", s, typ)
	}
	a := Access{Type: m[1], Name: name}
	switch a.Type {
	case scopeTypeRepository:
		ref := registry.Reference{Registry: "mpakd.invalid", Repository: name}
		if err := ref.ValidateRepository(); err != nil {
			return Access{}, fmt.Errorf("scope %q: invalid repository name %q (lowercase path components of letters, digits and separators . _ __ -)", s, name)
		}
	case scopeTypeRegistry:
		if name != "catalog" {
			return Access{}, fmt.Errorf("scope %q: registry scopes name only \"catalog\", not %q", s, name)
		}
	default:
		return Access{}, fmt.Errorf("scope %q: unknown resource type %q (want repository or registry)", s, a.Type)
	}
	if actions == "" {
		return Access{}, fmt.Errorf("scope %q: no actions", s)
	}
	for _, act := range strings.Split(actions, ",") {
		if !scopeActionRE.MatchString(act) {
			return Access{}, fmt.Errorf("scope %q: malformed action %q", s, act)
		}
		if !slices.Contains(a.Actions, act) {
			a.Actions = append(a.Actions, act)
		}
	}
	return a, nil
}

// FormatScope is the inverse of ParseScope for one Access.
func FormatScope(a Access) string {
	return a.Type + ":" + a.Name + ":" + strings.Join(a.Actions, ",")
}

// ActionsOf maps Docker actions to Actions, in the order read, push,
// delete, without duplicates; unknown Docker actions map to nothing.
func ActionsOf(dockerActions []string) []Action {
	var read, push, del bool
	for _, d := range dockerActions {
		switch d {
		case dockerPull:
			read = true
		case dockerPush:
			push = true
		case dockerDelete:
			del = true
		case dockerAll:
			read, push, del = true, true, true
		}
	}
	out := []Action{}
	if read {
		out = append(out, ActionRead)
	}
	if push {
		out = append(out, ActionPush)
	}
	if del {
		out = append(out, ActionDelete)
	}
	return out
}

// DockerActions maps Actions back to Docker actions, in the order pull,
// push, delete, without duplicates. It never produces "*": a token lists
// exactly what was granted.
func DockerActions(as []Action) []string {
	out := []string{} // never nil: it marshals into a token as a JSON array
	for _, pair := range [...]struct {
		a Action
		d string
	}{{ActionRead, dockerPull}, {ActionPush, dockerPush}, {ActionDelete, dockerDelete}} {
		if slices.Contains(as, pair.a) {
			out = append(out, pair.d)
		}
	}
	return out
}
