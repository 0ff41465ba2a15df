package auth

import "fmt"

// Action is what a request does to a repository.
type Action string

const (
	ActionRead   Action = "read"   // pull manifests and blobs, list tags and referrers, see it in the catalog
	ActionPush   Action = "push"   // new versions and referrers (mpakd's own rules still refuse overwrites)
	ActionDelete Action = "delete" // delete manifests and tags (mpakd still refuses to delete published versions unless granted)
)

// Principal is who is asking.
type Principal struct {
	Name   string   // "" for anonymous
	Groups []string // from the policy's groups (the policy fills them; callers may add more)
	// Kind is what authenticated it: a user of the htpasswd file (""), a
	// robot token, or a CI job's OIDC token (trusted publishing).
	Kind Kind
	// Grants are what the credential itself carries: a robot token's
	// scope, the trusted-publisher rules an OIDC token matched. A robot or
	// a CI job gets these and the anonymous actions, never what the policy
	// gives users who logged in: its power is exactly what was issued.
	Grants []Grant
}

// Kind is what kind of credential a Principal presented.
type Kind string

const (
	KindUser  Kind = ""      // htpasswd user
	KindRobot Kind = "robot" // mpakd token create
	KindOIDC  Kind = "oidc"  // trusted publishing
)

// Grant gives actions on the repositories a glob matches.
type Grant struct {
	glob    glob
	actions actionSet
}

// NewGrant is a grant of actions on the repositories matching pattern
// (the policy's glob syntax).
func NewGrant(pattern string, actions ...Action) (Grant, error) {
	g, err := parseGlob(pattern)
	if err != nil {
		return Grant{}, err
	}
	var s actionSet
	for _, a := range actions {
		bit := actionBit(a)
		if bit == 0 {
			return Grant{}, fmt.Errorf("unknown action %q: want read, push or delete", a)
		}
		s |= bit
	}
	return Grant{glob: g, actions: s}, nil
}

// Pattern is the grant's repository glob.
func (g Grant) Pattern() string { return g.glob.pattern }

// Actions are the grant's actions, in the order read, push, delete.
func (g Grant) Actions() []Action { return g.actions.list() }

// Anonymous reports whether the principal did not log in.
func (p Principal) Anonymous() bool { return p.Name == "" }

// actionSet is a set of actions as bits, so that unions in the policy
// evaluation cost nothing and the granted set sorts itself.
type actionSet uint8

// allActions is the canonical order: read, push, delete. Its index is
// the action's bit.
var allActions = [...]Action{ActionRead, ActionPush, ActionDelete}

func actionBit(a Action) actionSet {
	for i, x := range allActions {
		if x == a {
			return 1 << i
		}
	}
	return 0
}

func (s actionSet) has(a Action) bool {
	bit := actionBit(a)
	return bit != 0 && s&bit != 0
}

// list returns the actions in canonical order.
func (s actionSet) list() []Action {
	out := []Action{} // never nil: token scopes marshal it as a JSON array
	for i, a := range allActions {
		if s&(1<<i) != 0 {
			out = append(out, a)
		}
	}
	return out
}
