package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Policy decides which actions a principal may take on a repository. The
// file format is described in the package documentation. A Policy is
// immutable once parsed and safe for concurrent use; a nil Policy allows
// nothing.
type Policy struct {
	memberOf map[string][]string // user -> groups the policy puts them in
	rules    []rule              // most specific first
	admin    grant
	// publishers are the trustedPublishers rules, in file order.
	publishers []publisher
}

// rule is one repositories entry.
type rule struct {
	glob          glob
	anonymous     actionSet
	authenticated actionSet
	policies      []grant
}

// grant gives actions to some users and groups (a policies entry or admin).
type grant struct {
	users   map[string]bool
	groups  map[string]bool
	actions actionSet
}

// DefaultPolicy is the policy without a policy file: anyone reads, any
// user who logged in also pushes, nobody deletes.
func DefaultPolicy() *Policy {
	g, _ := parseGlob("**")
	return &Policy{rules: []rule{{
		glob:          g,
		anonymous:     actionBit(ActionRead),
		authenticated: actionBit(ActionRead) | actionBit(ActionPush),
	}}}
}

// Allowed reports whether who may do action to repository.
func (p *Policy) Allowed(who Principal, repository string, action Action) bool {
	return p.granted(p.member(who), repository).has(action)
}

// Actions is everything who may do to repository, in the order read,
// push, delete (never nil). Token scopes are filled from it.
func (p *Policy) Actions(who Principal, repository string) []Action {
	return p.granted(p.member(who), repository).list()
}

// Readable returns a filter for catalogs: whether who may read a
// repository. It resolves who's groups once, not per repository.
func (p *Policy) Readable(who Principal) func(repository string) bool {
	m := p.member(who)
	return func(repository string) bool { return p.granted(m, repository).has(ActionRead) }
}

// member is a principal with its groups resolved.
type member struct {
	name   string // "" for anonymous
	groups map[string]bool
	// credential: a robot or CI job, which gets its grants instead of
	// the users' actions.
	credential bool
	grants     []Grant
}

func (p *Policy) member(who Principal) member {
	m := member{name: who.Name}
	if who.Kind != KindUser && !who.Anonymous() {
		m.credential, m.grants = true, who.Grants
		return m
	}
	if who.Anonymous() || p == nil {
		return m // anonymous clients are never in a group
	}
	m.groups = map[string]bool{}
	for _, g := range p.memberOf[who.Name] {
		m.groups[g] = true
	}
	for _, g := range who.Groups {
		m.groups[g] = true
	}
	return m
}

func (g grant) applies(m member) bool {
	if m.name == "" || m.credential {
		return false
	}
	if g.users[m.name] {
		return true
	}
	for group := range g.groups {
		if m.groups[group] {
			return true
		}
	}
	return false
}

// granted is the union of what the most specific matching rule gives m and
// what admin gives m. Logging in never loses access: users also get the
// anonymous actions.
func (p *Policy) granted(m member, repository string) actionSet {
	if p == nil {
		return 0
	}
	var s actionSet
	for _, r := range p.rules {
		if !r.glob.match(repository) {
			continue
		}
		s |= r.anonymous
		if m.name != "" && !m.credential {
			s |= r.authenticated
			for _, g := range r.policies {
				if g.applies(m) {
					s |= g.actions
				}
			}
		}
		break // only the most specific rule applies
	}
	if p.admin.applies(m) {
		s |= p.admin.actions
	}
	for _, g := range m.grants {
		if g.glob.match(repository) {
			s |= g.actions
		}
	}
	return s
}

// ParsePolicy parses a policy file. It is strict, and every error names
// the line, so a typo is reported rather than silently opening or closing
// repositories.
func ParsePolicy(data []byte) (*Policy, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the policy is empty")
		}
		return nil, err // yaml.v3 syntax errors already name the line
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, err
		}
		return nil, errAt(&extra, "a policy is one YAML document; remove the second")
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("the policy is empty")
	}

	pp := policyParser{p: &Policy{memberOf: map[string][]string{}}, defined: map[string]bool{}}
	if err := pp.parse(doc.Content[0]); err != nil {
		return nil, err
	}
	return pp.p, nil
}

// policyParser walks the YAML nodes, keeping line numbers for errors.
type policyParser struct {
	p       *Policy
	defined map[string]bool // groups under "groups"
	refs    []*yaml.Node    // group names used in grants, checked at the end
}

func (pp *policyParser) parse(root *yaml.Node) error {
	top, err := fields(root, "the policy", "groups", "repositories", "admin", "trustedPublishers")
	if err != nil {
		return err
	}
	if n := top["groups"]; n != nil {
		if err := pp.groups(n); err != nil {
			return err
		}
	}
	if n := top["repositories"]; n != nil {
		if err := pp.repositories(n); err != nil {
			return err
		}
	}
	if n := top["admin"]; n != nil {
		g, err := pp.grant(n, "admin", false)
		if err != nil {
			return err
		}
		pp.p.admin = g
	}
	if n := top["trustedPublishers"]; n != nil {
		if err := pp.trustedPublishers(n); err != nil {
			return err
		}
	}
	for _, ref := range pp.refs {
		if !pp.defined[ref.Value] {
			return errAt(ref, "group %q is not defined under groups", ref.Value)
		}
	}
	slices.SortFunc(pp.p.rules, func(a, b rule) int {
		if moreSpecific(a.glob, b.glob) {
			return -1
		}
		if moreSpecific(b.glob, a.glob) {
			return 1
		}
		return 0
	})
	return nil
}

func (pp *policyParser) groups(n *yaml.Node) error {
	return eachPair(n, "groups", func(k, v *yaml.Node) error {
		if k.Value == "" {
			return errAt(k, "empty group name")
		}
		users, err := names(v, "group "+k.Value)
		if err != nil {
			return err
		}
		pp.defined[k.Value] = true
		for _, u := range users {
			pp.p.memberOf[u.Value] = append(pp.p.memberOf[u.Value], k.Value)
		}
		return nil
	})
}

func (pp *policyParser) repositories(n *yaml.Node) error {
	return eachPair(n, "repositories", func(k, v *yaml.Node) error {
		g, err := parseGlob(k.Value)
		if err != nil {
			return errAt(k, "%v", err)
		}
		r := rule{glob: g}
		f, err := fields(v, fmt.Sprintf("repository %q", k.Value), "anonymous", "authenticated", "policies")
		if err != nil {
			return err
		}
		if r.anonymous, err = actions(f["anonymous"]); err != nil {
			return err
		}
		if r.authenticated, err = actions(f["authenticated"]); err != nil {
			return err
		}
		if ps := f["policies"]; ps != nil {
			ps = deref(ps)
			if ps.Kind != yaml.SequenceNode && !isNull(ps) {
				return errAt(ps, "policies must be a list of {users, groups, actions}")
			}
			for _, e := range ps.Content {
				g, err := pp.grant(e, "a policy", true)
				if err != nil {
					return err
				}
				r.policies = append(r.policies, g)
			}
		}
		pp.p.rules = append(pp.p.rules, r)
		return nil
	})
}

// grant parses {users, groups, actions}. A policies entry must name
// someone, or it is a mistake that grants nothing.
func (pp *policyParser) grant(n *yaml.Node, what string, needWho bool) (grant, error) {
	f, err := fields(n, what, "users", "groups", "actions")
	if err != nil {
		return grant{}, err
	}
	g := grant{users: map[string]bool{}, groups: map[string]bool{}}
	users, err := names(f["users"], "users")
	if err != nil {
		return grant{}, err
	}
	for _, u := range users {
		g.users[u.Value] = true
	}
	groups, err := names(f["groups"], "groups")
	if err != nil {
		return grant{}, err
	}
	for _, gr := range groups {
		g.groups[gr.Value] = true
		pp.refs = append(pp.refs, gr)
	}
	if needWho && len(users) == 0 && len(groups) == 0 {
		return grant{}, errAt(n, "%s names no users or groups", what)
	}
	if g.actions, err = actions(f["actions"]); err != nil {
		return grant{}, err
	}
	return g, nil
}

// publisher is one trustedPublishers entry: which CI jobs' OIDC tokens it
// accepts, and what they may do.
type publisher struct {
	issuer  string // "" matches whichever issuer the verifier trusts
	subject subjectGlob
	claims  map[string]string
	grants  []Grant
}

// reservedClaims have their own keys (subject, issuer) or are checked by
// the verifier; a claims entry for one would be a rule that never matches
// or one that bypasses what the key is for.
var reservedClaims = []string{"sub", "iss", "aud", "exp", "nbf", "iat", "jti"}

// TrustedPublishers is what an OIDC token from issuer with subject (its
// sub claim) and claims (all of its claims) may do: the grants of every
// trustedPublishers rule it matches, nil if none does. The caller has
// verified the token.
func (p *Policy) TrustedPublishers(issuer, subject string, claims map[string]any) []Grant {
	if p == nil {
		return nil
	}
	var out []Grant
	for _, tp := range p.publishers {
		if tp.matches(issuer, subject, claims) {
			out = append(out, tp.grants...)
		}
	}
	return out
}

// HasTrustedPublishers reports whether the policy has trustedPublishers
// rules, that is, whether it expects CI jobs to log in with OIDC tokens.
func (p *Policy) HasTrustedPublishers() bool { return p != nil && len(p.publishers) > 0 }

func (tp publisher) matches(issuer, subject string, claims map[string]any) bool {
	if tp.issuer != "" && tp.issuer != issuer {
		return false
	}
	if !tp.subject.match(subject) {
		return false
	}
	for k, want := range tp.claims {
		if !claimEquals(claims[k], want) {
			return false
		}
	}
	return true
}

// claimEquals compares a JSON claim with a policy's scalar. Booleans and
// numbers compare by their JSON text, so "ref_protected: true" matches
// both true and "true"; objects and arrays never match.
func claimEquals(v any, want string) bool {
	switch v := v.(type) {
	case string:
		return v == want
	case bool:
		return strconv.FormatBool(v) == want
	case json.Number:
		return v.String() == want
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64) == want
	}
	return false
}

// subjectGlob matches an OIDC sub claim. Claims such as GitHub's
// "repo:OWNER/REPO:ref:REF" or "…:environment:ENV" are parts joined by
// ':', and a star that could cross one would let "repo:acme/*:ref:…"
// match a token of another kind whose parts happen to line up. So '*'
// matches within a part only, and a subject matches only with as many
// parts as the pattern.
type subjectGlob struct {
	pattern string
	parts   []string
}

func parseSubjectGlob(pattern string) (subjectGlob, error) {
	if pattern == "" {
		return subjectGlob{}, errors.New("empty subject")
	}
	if strings.Contains(pattern, "**") {
		return subjectGlob{}, fmt.Errorf("subject %q: ** is not allowed; * matches any characters but ':', so a wildcard never crosses a claim boundary", pattern)
	}
	return subjectGlob{pattern: pattern, parts: strings.Split(pattern, ":")}, nil
}

func (g subjectGlob) match(subject string) bool {
	if subject == "" || strings.Count(subject, ":") != len(g.parts)-1 {
		return false
	}
	for _, p := range g.parts {
		part, rest, _ := strings.Cut(subject, ":")
		if !matchComponent(p, part) {
			return false
		}
		subject = rest
	}
	return true
}

func (pp *policyParser) trustedPublishers(n *yaml.Node) error {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return errAt(n, "trustedPublishers must be a list of {subject, repositories, actions}")
	}
	for _, e := range n.Content {
		tp, err := trustedPublisher(e)
		if err != nil {
			return err
		}
		pp.p.publishers = append(pp.p.publishers, tp)
	}
	return nil
}

// trustedPublisher parses one rule. Subject, repositories and actions are
// required: a rule without them would accept any job or grant nothing.
func trustedPublisher(n *yaml.Node) (publisher, error) {
	const what = "a trusted publisher"
	f, err := fields(n, what, "subject", "claims", "repositories", "actions", "issuer")
	if err != nil {
		return publisher{}, err
	}
	n = deref(n)
	var tp publisher

	sub, err := text(f["subject"], n, "subject", `a glob over the token's sub claim, like "repo:acme/weather:ref:refs/tags/*"`)
	if err != nil {
		return publisher{}, err
	}
	if tp.subject, err = parseSubjectGlob(sub.Value); err != nil {
		return publisher{}, errAt(sub, "%v", err)
	}

	if c := f["claims"]; c != nil {
		tp.claims = map[string]string{}
		err := eachPair(c, "claims", func(k, v *yaml.Node) error {
			if k.Value == "" {
				return errAt(k, "empty claim name")
			}
			if slices.Contains(reservedClaims, k.Value) {
				return errAt(k, "claim %q cannot be matched under claims: use subject for sub, issuer for iss; aud, exp, nbf, iat and jti are checked by mpakd", k.Value)
			}
			val, err := text(v, k, "claim "+k.Value, "the value the claim must equal")
			if err != nil {
				return err
			}
			tp.claims[k.Value] = val.Value
			return nil
		})
		if err != nil {
			return publisher{}, err
		}
	}

	var acts actionSet
	items, err := names(f["actions"], "actions")
	if err != nil {
		return publisher{}, err
	}
	for _, it := range items {
		switch a := Action(it.Value); a {
		case ActionRead, ActionPush:
			acts |= actionBit(a) | actionBit(ActionRead) // pushing needs reading: clients check which blobs exist
		case ActionDelete:
			return publisher{}, errAt(it, "trusted publishers may read and push, never delete")
		default:
			return publisher{}, errAt(it, "unknown action %q: use read or push", it.Value)
		}
	}
	if acts == 0 {
		at := n
		if f["actions"] != nil {
			at = deref(f["actions"])
		}
		return publisher{}, errAt(at, "%s needs actions: [push] (which includes read) or [read]", what)
	}

	repos, err := repositoryGlobs(f["repositories"], n)
	if err != nil {
		return publisher{}, err
	}
	for _, r := range repos {
		g, err := NewGrant(r.Value, acts.list()...)
		if err != nil {
			return publisher{}, errAt(r, "%v", err)
		}
		tp.grants = append(tp.grants, g)
	}

	if f["issuer"] != nil {
		iss, err := text(f["issuer"], n, "issuer", "the URL of the OIDC issuer")
		if err != nil {
			return publisher{}, err
		}
		if u, err := url.Parse(iss.Value); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return publisher{}, errAt(iss, "issuer %q: want a URL such as https://token.actions.githubusercontent.com", iss.Value)
		}
		tp.issuer = iss.Value
	}
	return tp, nil
}

// repositoryGlobs parses "glob" or a non-empty list of globs; parent is
// where a missing value is reported.
func repositoryGlobs(n, parent *yaml.Node) ([]*yaml.Node, error) {
	if n == nil {
		return nil, errAt(parent, `a trusted publisher needs repositories: a repository glob such as "acme/weather", or a list of them`)
	}
	n = deref(n)
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		return []*yaml.Node{n}, nil
	}
	repos, err := names(n, "repositories")
	if err != nil {
		return nil, err
	}
	if len(repos) == 0 {
		return nil, errAt(n, "repositories is empty: name the repositories the publisher may push to")
	}
	return repos, nil
}

// text is a required non-empty scalar; parent is where a missing one is
// reported, want says what belongs there.
func text(n, parent *yaml.Node, what, want string) (*yaml.Node, error) {
	if n == nil {
		return nil, errAt(parent, "%s is missing: want %s", what, want)
	}
	n = deref(n)
	if n.Kind != yaml.ScalarNode || isNull(n) || n.Value == "" {
		return nil, errAt(n, "%s: want %s", what, want)
	}
	return n, nil
}

// actions parses a list of action names; absent or null is none.
func actions(n *yaml.Node) (actionSet, error) {
	items, err := names(n, "actions")
	if err != nil {
		return 0, err
	}
	var s actionSet
	for _, it := range items {
		bit := actionBit(Action(it.Value))
		if bit == 0 {
			return 0, errAt(it, "unknown action %q: use read, push or delete", it.Value)
		}
		s |= bit
	}
	return s, nil
}

// names parses a list of non-empty strings; absent or null is none.
func names(n *yaml.Node, what string) ([]*yaml.Node, error) {
	if n == nil {
		return nil, nil
	}
	n = deref(n)
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, errAt(n, "%s must be a list, like [a, b]", what)
	}
	out := make([]*yaml.Node, 0, len(n.Content))
	for _, e := range n.Content {
		e = deref(e)
		if e.Kind != yaml.ScalarNode || isNull(e) || e.Value == "" {
			return nil, errAt(e, "%s: want a non-empty name", what)
		}
		out = append(out, e)
	}
	return out, nil
}

// fields returns a mapping's values by key, refusing unknown and duplicate
// keys. Null stands for an empty mapping.
func fields(n *yaml.Node, what string, allowed ...string) (map[string]*yaml.Node, error) {
	out := map[string]*yaml.Node{}
	err := eachPair(n, what, func(k, v *yaml.Node) error {
		if !slices.Contains(allowed, k.Value) {
			return errAt(k, "unknown key %q in %s: use %s", k.Value, what, strings.Join(allowed, ", "))
		}
		out[k.Value] = v
		return nil
	})
	return out, err
}

// eachPair calls fn for each key and value of a mapping whose keys are
// scalars, refusing duplicates (yaml.v3 does not when decoding to nodes).
func eachPair(n *yaml.Node, what string, fn func(k, v *yaml.Node) error) error {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return errAt(n, "%s must be a mapping", what)
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return errAt(k, "keys in %s must be strings", what)
		}
		if prev, dup := seen[k.Value]; dup {
			return errAt(k, "%q appears twice in %s (first on line %d)", k.Value, what, prev)
		}
		seen[k.Value] = k.Line
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// deref follows aliases (*name) to the anchored node. yaml.v3 refuses
// aliases defined after use, so this ends.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func errAt(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("line %d: %s", n.Line, fmt.Sprintf(format, args...))
}
