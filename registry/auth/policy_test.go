package auth

import (
	"encoding/json"
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
trustedPublishers:         # CI jobs that log in with their OIDC token
  - subject: "repo:acme/weather:ref:refs/tags/*"
    claims:
      repository_owner: acme
    repositories: acme/weather
    actions: [push]
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
	// A tag build of acme/weather pushes there, and only there: acme/**
	// gives users, not CI jobs, anything.
	grants := p.TrustedPublishers("https://token.actions.githubusercontent.com", "repo:acme/weather:ref:refs/tags/v1",
		map[string]any{"repository_owner": "acme"})
	ci := Principal{Name: "oidc:x", Kind: KindOIDC, Grants: grants}
	checkAllowed(t, p, []allowCase{
		{ci, "acme/weather", ActionPush, true},
		{ci, "acme/weather", ActionDelete, false},
		{ci, "acme/other", ActionRead, false},
		{ci, "other/x", ActionRead, true}, // the anonymous actions
	})
}

func TestPolicyTrustedPublishers(t *testing.T) {
	const gh = "https://token.actions.githubusercontent.com"
	p := mustPolicy(t, `
trustedPublishers:
  - subject: "repo:acme/weather:ref:refs/tags/*"
    claims: {repository_owner: acme, ref_protected: true, repository_id: "123"}
    repositories: acme/weather
    actions: [push]
  - subject: "repo:acme/*:environment:release"
    repositories: ["acme/*", "acme/shared/**"]
    actions: [read]
  - subject: "project_path:acme/weather:ref_type:tag:ref:*"
    issuer: https://gitlab.example
    repositories: acme/weather
    actions: [read, push]
  - subject: "repo:*"
    repositories: wild
    actions: [read]
`)
	claims := func(kv ...any) map[string]any {
		m := map[string]any{"repository_owner": "acme", "ref_protected": true, "repository_id": json.Number("123")}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	for _, c := range []struct {
		name, issuer, subject string
		claims                map[string]any
		want                  []string
	}{
		{"tag", gh, "repo:acme/weather:ref:refs/tags/v1.2.0", claims(), []string{"acme/weather=read, push"}},
		{"claims as strings", gh, "repo:acme/weather:ref:refs/tags/v1", claims("ref_protected", "true", "repository_id", "123"), []string{"acme/weather=read, push"}},
		{"number as float", gh, "repo:acme/weather:ref:refs/tags/v1", claims("repository_id", 123.0), []string{"acme/weather=read, push"}},
		{"wrong owner", gh, "repo:acme/weather:ref:refs/tags/v1", claims("repository_owner", "evil"), nil},
		{"claim missing", gh, "repo:acme/weather:ref:refs/tags/v1", claims("repository_owner", nil), nil},
		{"claim false", gh, "repo:acme/weather:ref:refs/tags/v1", claims("ref_protected", false), nil},
		{"claim object", gh, "repo:acme/weather:ref:refs/tags/v1", claims("repository_owner", map[string]any{"acme": true}), nil},
		{"branch", gh, "repo:acme/weather:ref:refs/heads/main", claims(), nil},
		{"tag with a colon", gh, "repo:acme/weather:ref:refs/tags/a:b", claims(), nil},
		{"environment", gh, "repo:acme/tools:environment:release", nil, []string{"acme/*=read", "acme/shared/**=read"}},
		// The star stops at ':': acme/* cannot take in "x:ref:y".
		{"star across colon", gh, "repo:acme/x:ref:y:environment:release", nil, nil},
		{"other environment", gh, "repo:acme/tools:environment:staging", nil, nil},
		{"issuer pinned", "https://gitlab.example", "project_path:acme/weather:ref_type:tag:ref:v1", nil, []string{"acme/weather=read, push"}},
		{"issuer pinned, other issuer", gh, "project_path:acme/weather:ref_type:tag:ref:v1", nil, nil},
		{"unpinned rule, any issuer", "https://gitlab.example", "repo:acme/tools:environment:release", nil, []string{"acme/*=read", "acme/shared/**=read"}},
		{"one part", gh, "repo:x", nil, []string{"wild=read"}},
		{"one star, two parts", gh, "repo:x:y", nil, nil},
		{"empty subject", gh, "", nil, nil},
	} {
		got := grantsOf(p.TrustedPublishers(c.issuer, c.subject, c.claims))
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if !p.HasTrustedPublishers() || mustPolicy(t, examplePolicy[:strings.Index(examplePolicy, "trustedPublishers")]).HasTrustedPublishers() ||
		DefaultPolicy().HasTrustedPublishers() || (*Policy)(nil).HasTrustedPublishers() {
		t.Error("HasTrustedPublishers wrong")
	}
	if (*Policy)(nil).TrustedPublishers(gh, "repo:x", nil) != nil || DefaultPolicy().TrustedPublishers(gh, "repo:x", nil) != nil {
		t.Error("no rules, yet grants")
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
		"null lists":      "repositories:\n  \"**\":\n    anonymous:\n    authenticated: ~\n",
		"empty rule":      "repositories:\n  \"acme/**\":\n",
		"empty groups":    "groups:\n  oidc-team: []\nadmin:\n  groups: [oidc-team]\n  actions: [read]\n",
		"anchors":         "groups:\n  g: &people [a, b]\nadmin:\n  users: *people\n  actions: [read]\n",
		"deny all":        "repositories: {}\n",
		"admin groups 1":  "admin: {groups: [g], actions: [delete]}\ngroups: {g: [x]}\n",
		"no publishers":   "trustedPublishers: []\n",
		"null publishers": "trustedPublishers:\n",
		"publisher":       "trustedPublishers:\n  - {subject: \"a:*\", repositories: [x, \"y/**\"], actions: [read, push], claims: {}, issuer: \"https://i.example/\"}\n",
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
		{"publishers not a list", "trustedPublishers:\n  subject: x\n", []string{"line 2", "list"}},
		{"publisher not a mapping", "trustedPublishers:\n  - x\n", []string{"line 2", "mapping"}},
		{"publisher unknown key", tp("    subjects: x\n"), []string{"line 6", `"subjects"`, "subject, claims, repositories, actions, issuer"}},
		{"publisher no subject", "trustedPublishers:\n  - repositories: x\n    actions: [push]\n", []string{"line 2", "subject is missing"}},
		{"publisher empty subject", "trustedPublishers:\n  - subject: \"\"\n    repositories: x\n    actions: [push]\n", []string{"line 2", "subject"}},
		{"publisher subject list", "trustedPublishers:\n  - repositories: x\n    actions: [push]\n    subject: [a]\n", []string{"line 4", "subject"}},
		{"publisher double star", "trustedPublishers:\n  - repositories: x\n    actions: [push]\n    subject: \"repo:acme/**\"\n", []string{"line 4", "** is not allowed"}},
		{"publisher delete", "trustedPublishers:\n  - subject: a\n    repositories: x\n    actions:\n      - push\n      - delete\n", []string{"line 6", "never delete"}},
		{"publisher unknown action", "trustedPublishers:\n  - subject: a\n    repositories: x\n    actions: [pull]\n", []string{"line 4", `"pull"`, "read or push"}},
		{"publisher no actions", "trustedPublishers:\n  - subject: a\n    repositories: x\n", []string{"line 2", "needs actions"}},
		{"publisher empty actions", "trustedPublishers:\n  - subject: a\n    repositories: x\n    actions: []\n", []string{"line 4", "needs actions"}},
		{"publisher no repositories", "trustedPublishers:\n  - subject: a\n    actions: [push]\n", []string{"line 2", "needs repositories"}},
		{"publisher empty repositories", "trustedPublishers:\n  - subject: a\n    actions: [push]\n    repositories: []\n", []string{"line 4", "empty"}},
		{"publisher bad glob", "trustedPublishers:\n  - subject: a\n    actions: [push]\n    repositories:\n      - acme/x\n      - Acme/Y\n", []string{"line 6", "Acme/Y"}},
		{"publisher glob mapping", "trustedPublishers:\n  - subject: a\n    actions: [push]\n    repositories: {a: b}\n", []string{"line 4", "list"}},
		{"publisher claims list", tp("    claims: [a]\n"), []string{"line 6", "mapping"}},
		{"publisher claim null", tp("    claims:\n      repository_owner:\n"), []string{"line 7", "claim repository_owner"}},
		{"publisher claim list", tp("    claims:\n      ref: [a, b]\n"), []string{"line 7", "claim ref"}},
		{"publisher claim sub", tp("    claims:\n      sub: x\n"), []string{"line 7", `"sub"`, "use subject"}},
		{"publisher claim aud", tp("    claims: {aud: mpakd}\n"), []string{"line 6", `"aud"`}},
		{"publisher claim twice", tp("    claims:\n      ref: a\n      ref: b\n"), []string{"line 8", "twice"}},
		{"publisher bad issuer", tp("    issuer: github\n"), []string{"line 6", `"github"`, "URL"}},
		{"publisher null issuer", tp("    issuer: ~\n"), []string{"line 6", "issuer"}},
		{"publishers twice", "trustedPublishers: []\ntrustedPublishers: []\n", []string{"line 2", "twice"}},
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

// tp is a valid trustedPublishers entry (lines 1-5) followed by extra
// lines of it.
func tp(extra string) string {
	return "repositories: {}\ntrustedPublishers:\n  - subject: \"repo:acme/weather:ref:*\"\n    repositories: acme/weather\n    actions: [push]\n" + extra
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
		tp("    claims: {repository_owner: acme, ref_protected: true}\n    issuer: https://token.actions.githubusercontent.com\n"),
		"trustedPublishers:\n  - {subject: \"repo:*:ref:*\", repositories: [\"a/**\", \"acme/*\"], actions: [read]}\n  - {subject: \"*\", repositories: x, actions: [push]}\n",
		"trustedPublishers: &t\n  - subject: a\n    repositories: x\n    actions: &a [push]\n    claims: {c: *a}\n",
		"trustedPublishers:\n  - subject: \"repo:**\"\n    repositories: x\n    actions: [delete]\n",
	} {
		f.Add([]byte(s))
	}
	who := []Principal{anon, alice, bob, root, {Name: "a", Groups: []string{"g"}}}
	repos := []string{"", "acme", "acme/x", "acme/x/y", "a/b/b/c", "x"}
	subjects := []string{"", "a", "repo:acme/weather:ref:refs/tags/v1", "repo:a:ref:b:environment:c", ":", "*"}
	claims := map[string]any{"repository_owner": "acme", "ref_protected": true, "c": json.Number("1"), "o": map[string]any{}}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy(data)
		if err != nil {
			return
		}
		principals := slices.Clone(who)
		for _, s := range subjects {
			grants := p.TrustedPublishers("https://token.actions.githubusercontent.com", s, claims)
			if grants != nil && !p.HasTrustedPublishers() {
				t.Fatal("grants without trustedPublishers")
			}
			ci := Principal{Name: "oidc:" + s, Kind: KindOIDC, Grants: grants}
			for _, g := range grants {
				if slices.Contains(g.Actions(), ActionDelete) || !slices.Contains(g.Actions(), ActionRead) {
					t.Fatalf("trusted publisher grant %s: %v", g.Pattern(), g.Actions())
				}
			}
			principals = append(principals, ci)
		}
		for _, w := range principals {
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
