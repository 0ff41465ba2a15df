package auth

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
}

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
