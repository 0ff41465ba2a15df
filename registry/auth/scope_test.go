package auth

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseScope(t *testing.T) {
	repo := func(name string, acts ...string) Access { return Access{Type: "repository", Name: name, Actions: acts} }
	for _, tc := range []struct {
		in      string
		want    []Access
		wantErr string // substring of the error; "" = no error
	}{
		{in: "", want: nil},
		{in: "   ", want: nil},
		{in: "repository:acme/weather:pull", want: []Access{repo("acme/weather", "pull")}},
		{in: "repository:acme/weather:pull,push", want: []Access{repo("acme/weather", "pull", "push")}},
		{in: "repository:acme/weather:pull,pull,push", want: []Access{repo("acme/weather", "pull", "push")}},
		{in: "repository:a/b:pull repository:c:push,delete", want: []Access{repo("a/b", "pull"), repo("c", "push", "delete")}},
		{in: "repository:a/b:pull  repository:c:*", want: []Access{repo("a/b", "pull"), repo("c", "*")}},
		{in: "registry:catalog:*", want: []Access{{Type: "registry", Name: "catalog", Actions: []string{"*"}}}},
		{in: "repository(plugin):acme/x:pull", want: []Access{repo("acme/x", "pull")}},
		{in: "repository:my-org/a.b__c/d:metadata", want: []Access{repo("my-org/a.b__c/d", "metadata")}},

		{in: "repository:acme/weather", wantErr: "want type:name:actions"},
		{in: "pull", wantErr: "want type:name:actions"},
		{in: "repository:acme/weather:", wantErr: "no actions"},
		{in: "repository:Acme/Weather:pull", wantErr: `invalid repository name "Acme/Weather"`},
		{in: "repository::pull", wantErr: `invalid repository name ""`},
		{in: "repository:localhost:5000/acme:pull", wantErr: `invalid repository name "localhost:5000/acme"`},
		{in: "repository:acme//x:pull", wantErr: "invalid repository name"},
		{in: "image:acme/x:pull", wantErr: `unknown resource type "image"`},
		{in: "Repository:acme/x:pull", wantErr: "malformed resource type"},
		{in: "repository(:acme/x:pull", wantErr: "malformed resource type"},
		{in: "registry:tags:*", wantErr: `registry scopes name only "catalog"`},
		{in: "repository:acme/x:pull,,push", wantErr: `malformed action ""`},
		{in: "repository:acme/x:PULL", wantErr: `malformed action "PULL"`},
		{in: "repository:a:pull repository:b", wantErr: `scope "repository:b"`},
	} {
		got, err := ParseScope(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseScope(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseScope(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestFormatScopeRoundTrip(t *testing.T) {
	for _, s := range []string{"repository:acme/weather:pull,push", "registry:catalog:*", "repository:a:delete"} {
		as, err := ParseScope(s)
		if err != nil || len(as) != 1 || FormatScope(as[0]) != s {
			t.Errorf("FormatScope(ParseScope(%q)) = %v, %v", s, as, err)
		}
	}
}

func TestActionMapping(t *testing.T) {
	all := []Action{ActionRead, ActionPush, ActionDelete}
	for _, tc := range []struct {
		docker []string
		want   []Action
	}{
		{nil, []Action{}},
		{[]string{"pull"}, []Action{ActionRead}},
		{[]string{"push", "pull"}, []Action{ActionRead, ActionPush}},
		{[]string{"delete"}, []Action{ActionDelete}},
		{[]string{"*"}, all},
		{[]string{"pull", "*", "pull"}, all},
		{[]string{"metadata", "PULL"}, []Action{}},
	} {
		if got := ActionsOf(tc.docker); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ActionsOf(%q) = %v, want %v", tc.docker, got, tc.want)
		}
	}
	for _, tc := range []struct {
		as   []Action
		want []string
	}{
		{nil, []string{}},
		{[]Action{ActionPush, ActionRead, ActionRead}, []string{"pull", "push"}},
		{all, []string{"pull", "push", "delete"}},
		{[]Action{"admin"}, []string{}},
	} {
		if got := DockerActions(tc.as); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("DockerActions(%v) = %q, want %q", tc.as, got, tc.want)
		}
	}
}

func FuzzParseScope(f *testing.F) {
	for _, s := range []string{
		"repository:acme/weather:pull,push", "registry:catalog:*", "repository(plugin):a:pull b:c:d",
		"repository:localhost:5000/a:pull", ":::", "repository:a:pull,,", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		as, err := ParseScope(s)
		if err != nil {
			return
		}
		// Whatever parses is well-formed and reparses to itself.
		for _, a := range as {
			if a.Type != "repository" && a.Type != "registry" || a.Name == "" || len(a.Actions) == 0 {
				t.Fatalf("ParseScope(%q) accepted %+v", s, a)
			}
			again, err := ParseScope(FormatScope(a))
			if err != nil || len(again) != 1 || !reflect.DeepEqual(again[0], a) {
				t.Fatalf("ParseScope(FormatScope(%+v)) = %+v, %v", a, again, err)
			}
		}
	})
}
