package auth

import (
	"errors"
	"net/http"
)

// Authenticator turns a username and password (Basic credentials, or the
// token endpoint's form) into who presented them.
type Authenticator interface {
	Authenticate(r *http.Request, username, password string) (Principal, error)
}

// ErrNotMine is an Authenticator's answer to credentials of another kind
// (a robot token given to the OIDC verifier, say): the next one in a
// Chain tries them.
var ErrNotMine = errors.New("auth: not this kind of credentials")

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(r *http.Request, username, password string) (Principal, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(r *http.Request, username, password string) (Principal, error) {
	return f(r, username, password)
}

// Chain tries each authenticator in turn; the first that does not answer
// ErrNotMine decides. No credentials at all are the anonymous principal;
// credentials no authenticator claims are wrong.
func Chain(as ...Authenticator) Authenticator {
	return AuthenticatorFunc(func(r *http.Request, username, password string) (Principal, error) {
		if username == "" && password == "" {
			return Principal{}, nil
		}
		for _, a := range as {
			if a == nil {
				continue
			}
			who, err := a.Authenticate(r, username, password)
			if errors.Is(err, ErrNotMine) {
				continue
			}
			return who, err
		}
		return Principal{}, ErrBadCredentials
	})
}
