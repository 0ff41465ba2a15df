package auth

import (
	"errors"
	"net/http"
)

// ErrBadCredentials is a username and password that do not match.
var ErrBadCredentials = errors.New("wrong username or password")

// Authenticate is TokenHandlerOptions.Authenticate for these files: no
// credentials are the anonymous principal, a user must match the htpasswd
// file.
func (f *Files) Authenticate(_ *http.Request, username, password string) (Principal, error) {
	if username == "" && password == "" {
		return Principal{}, nil
	}
	if !f.Users().Authenticate(username, password) {
		return Principal{}, ErrBadCredentials
	}
	return Principal{Name: username}, nil
}

// Grant is TokenHandlerOptions.Grant for these files: of each requested
// repository, the actions the policy allows who there; the registry's
// catalog to anyone who logged in (it lists only what they may read).
func (f *Files) Grant(who Principal, requested []Access) []Access {
	policy := f.Policy()
	var out []Access
	for _, a := range requested {
		switch {
		case a.Type == "repository":
			if actions := DockerActions(policy.Actions(who, a.Name)); len(actions) > 0 {
				out = append(out, Access{Type: a.Type, Name: a.Name, Actions: actions})
			}
		case a.Type == "registry" && a.Name == "catalog" && !who.Anonymous():
			out = append(out, Access{Type: a.Type, Name: a.Name, Actions: []string{"*"}})
		}
	}
	return out
}
