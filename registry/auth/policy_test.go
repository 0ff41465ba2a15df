package auth

import (
	"slices"
	"strings"
	"testing"
)

// examplePolicy is the one in the package documentation.
const examplePolicy = `groups:
  maintainers: [alice, bob]
repositories:
  "**":                    # every repository
    anonymous: [read]
    authenticated: [read]  # any user who logged in
  "acme/**":
    policies:
      - users: [alice]
        groups: [maintainers]
        actions: [read, push]
    anonymous: []          # acme/* is private
admin:                     # applies to every repository, on top of the rules above
  users: [root]
  actions: [read, push, delete]
`

var (
	anon  = Principal{}
	alice = Principal{Name: "alice"}
	bob   = Principal{Name: "bob"}
	carol = Principal{Name: "carol"}
	root  = Principal{Name: "root"}
)

func mustPolicy(t *testing.T, src string) *Policy {
	t.Helper()
	p, err := ParsePolicy([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type allowCase struct {
	who    Principal
	repo   string
	action Action
	want   bool
}

func checkAllowed(t *testing.T, p *Policy, cases []allowCase) {
	t.Helper()
	for _, c := range cases {
		if got := p.Allowed(c.who, c.repo, c.action); got != c.want {
			t.Errorf("Allowed(%q, %q, %s) = %v, want %v", c.who.Name, c.repo, c.action, got, c.want)
		}
	}
}

func TestPolicyExample(t *testing.T) {
	p := mustPolicy(t, examplePolicy)
	checkAllowed(t, p, []allowCase{
		{alice, "acme/x", ActionPush, true},
		{alice, "acme/x/y", ActionRead, true},
		{alice, "acme/x", ActionDelete, false},
		{bob, "acme/x", ActionPush, true}, // via maintainers
		{bob, "acme", ActionRead, true},   // acme/** includes acme itself
		// acme/** is the most specific rule and has nothing for carol,
		// so the public "**" does not reopen it.
		{carol, "acme/x", ActionRead, false},
		{anon, "acme/x", ActionRead, false},
		{carol, "other/x", ActionRead, true},
		{carol, "other/x", ActionPush, false},
		{anon, "other/x", ActionRead, true},
		{anon, "other/x", ActionPush, false},
		{alice, "other/x", ActionPush, false}, // her grant is only under acme
		{root, "acme/x", ActionDelete, true},  // admin on top
		{root, "other/x", ActionDelete, true},
		{alice, "acme/x", Action("pull"), false},
	})
	if got := p.Actions(bob, "acme/x"); !slices.Equal(got, []Action{ActionRead, ActionPush}) {
		t.Errorf("Actions(bob, acme/x) = %v", got)
	}
	if got := p.Actions(root, "acme/x"); !slices.Equal(got, []Action{ActionRead, ActionPush, ActionDelete}) {
		t.Errorf("Actions(root, acme/x) = %v", got)
	}
	if got := p.Actions(carol, "acme/x"); got == nil || len(got) != 0 {
		t.Errorf("Actions(carol, acme/x) = %#v, want empty non-nil", got)
	}
	// Groups a caller adds (an OIDC claim, say) count as the policy's own.
	if !p.Allowed(Principal{Name: "dave", Groups: []string{"maintainers"}}, "acme/x", ActionPush) {
		t.Error("caller-supplied group ignored")
	}
	// Anonymous clients are never in a group, whatever the caller says.
	if p.Allowed(Principal{Groups: []string{"maintainers"}}, "acme/x", ActionRead) {
		t.Error("anonymous principal granted through a group")
	}
}

func TestPolicyMostSpecificWins(t *testing.T) {
	p := mustPolicy(t, `
repositories:
  "**":
    anonymous: [read]
    authenticated: [read, push]
  "acme/*":
    authenticated: [read]
  "acme/**":
    anonymous: [read]
  "acme/secret":
    policies:
      - users: [alice]
        actions: [read]
`)
	checkAllowed(t, p, []allowCase{
		{carol, "x/y", ActionPush, true},
		{carol, "acme/x", ActionPush, false}, // acme/** beats acme/* (longer), both beat **
		{carol, "acme/x", ActionRead, true},  // users get the anonymous actions too
		{anon, "acme/x/y", ActionRead, true}, // acme/**
		{anon, "acme/secret", ActionRead, false},
		{carol, "acme/secret", ActionRead, false},
		{alice, "acme/secret", ActionRead, true},
		{alice, "acme/secret", ActionPush, false},
	})
}

func TestPolicyNoMatchDenies(t *testing.T) {
	p := mustPolicy(t, `
repositories:
  "acme/**":
    anonymous: [read]
admin:
  groups: [ops]
  actions: [delete]
groups:
  ops: [root]
`)
	checkAllowed(t, p, []allowCase{
		{anon, "other/x", ActionRead, false},
		{carol, "other/x", ActionRead, false},
		{root, "other/x", ActionDelete, true},
		{root, "other/x", ActionRead, false},
		{root, "acme/x", ActionRead, true},
	})
	r := p.Readable(carol)
	if !r("acme/x") || r("other/x") {
		t.Error("Readable(carol) wrong")
	}
}

func TestDefaultPolicy(t *testing.T) {
	checkAllowed(t, DefaultPolicy(), []allowCase{
		{anon, "acme/x", ActionRead, true},
		{anon, "acme/x", ActionPush, false},
		{carol, "acme/x/y", ActionRead, true},
		{carol, "acme/x", ActionPush, true},
		{carol, "acme/x", ActionDelete, false},
		{root, "acme/x", ActionDelete, false},
	})
	var none *Policy
	if none.Allowed(root, "acme/x", ActionRead) || len(none.Actions(root, "x")) != 0 || none.Readable(root)("x") {
		t.Error("a nil Policy must allow nothing")
	}
}

func TestPolicyAcceptsOddButValid(t *testing.T) {
	for name, src := range map[string]string{
		"null lists":     "repositories:\n  \"**\":\n    anonymous:\n    authenticated: ~\n",
		"empty rule":     "repositories:\n  \"acme/**\":\n",
		"empty groups":   "groups:\n  oidc-team: []\nadmin:\n  groups: [oidc-team]\n  actions: [read]\n",
		"anchors":        "groups:\n  g: &people [a, b]\nadmin:\n  users: *people\n  actions: [read]\n",
		"deny all":       "repositories: {}\n",
		"admin groups 1": "admin: {groups: [g], actions: [delete]}\ngroups: {g: [x]}\n",
	} {
		if _, err := ParsePolicy([]byte(src)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestPolicyErrors(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      []string
	}{
		{"empty", "", []string{"empty"}},
		{"comments only", "# nothing\n", []string{"empty"}},
		{"syntax", "repositories:\n  \"**\": [\n", []string{"line"}},
		{"not a mapping", "- read\n", []string{"line 1", "mapping"}},
		{"unknown top key", "groups: {}\nrepos: {}\n", []string{"line 2", `"repos"`, "repositories"}},
		{"unknown rule key", "repositories:\n  \"**\":\n    anonymus: [read]\n", []string{"line 3", `"anonymus"`, "anonymous"}},
		{"unknown policy key", "repositories:\n  \"**\":\n    policies:\n      - user: [a]\n", []string{"line 4", `"user"`}},
		{"unknown action", "repositories:\n  \"**\":\n    anonymous: [read]\n    authenticated:\n      - read\n      - pull\n", []string{"line 6", `unknown action "pull"`, "read, push or delete"}},
		{"unknown admin action", "admin:\n  users: [root]\n  actions: [read, admin]\n", []string{"line 3", `"admin"`}},
		{"undefined group", "groups:\n  ops: [root]\nrepositories:\n  \"**\":\n    policies:\n      - groups: [opps]\n        actions: [read]\n", []string{"line 6", `"opps"`, "not defined"}},
		{"undefined admin group", "admin:\n  groups: [ops]\n", []string{"line 2", `"ops"`}},
		{"empty glob", "repositories:\n  \"\":\n    anonymous: [read]\n", []string{"line 2", "empty"}},
		{"invalid glob", "repositories:\n  \"**\": {}\n  \"acme/[ab]\": {}\n", []string{"line 3", "acme/[ab]"}},
		{"glob star inside", "repositories:\n  \"acme**\": {}\n", []string{"line 2", "whole path component"}},
		{"duplicate glob", "repositories:\n  \"acme/**\": {}\n  \"x\": {}\n  \"acme/**\": {}\n", []string{"line 4", "line 2", "twice"}},
		{"duplicate key", "admin:\n  users: [a]\n  users: [b]\n", []string{"line 3", "twice"}},
		{"scalar list", "repositories:\n  \"**\":\n    anonymous: read\n", []string{"line 3", "list"}},
		{"nested list", "groups:\n  g: [[a]]\n", []string{"line 2", "name"}},
		{"empty name", "admin:\n  users: [\"\"]\n", []string{"line 2", "name"}},
		{"nobody", "repositories:\n  \"**\":\n    policies:\n      - actions: [read]\n", []string{"line 4", "no users or groups"}},
		{"policies not list", "repositories:\n  \"**\":\n    policies: {users: [a]}\n", []string{"line 3", "list"}},
		{"two documents", "repositories: {}\n---\nadmin: {}\n", []string{"line 2", "one YAML document"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParsePolicy([]byte(c.src))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{
		examplePolicy,
		"repositories: {\"**\": {anonymous: [read]}}\n",
		"groups:\n  g: &p [a, b]\nadmin:\n  users: *p\n  groups: [g]\n  actions: [read]\n",
		"repositories:\n  \"a/*/b/**\":\n    policies:\n      - {users: [a], actions: [push]}\n",
		"a: &a [*a]\n",
		"repositories: &r {\"x\": *r}\n",
		"admin:\n  actions: [pull]\n",
	} {
		f.Add([]byte(s))
	}
	who := []Principal{anon, alice, bob, root, {Name: "a", Groups: []string{"g"}}}
	repos := []string{"", "acme", "acme/x", "acme/x/y", "a/b/b/c", "x"}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy(data)
		if err != nil {
			return
		}
		for _, w := range who {
			readable := p.Readable(w)
			for _, r := range repos {
				for _, a := range allActions {
					p.Allowed(w, r, a)
				}
				p.Actions(w, r)
				readable(r)
			}
		}
	})
}
