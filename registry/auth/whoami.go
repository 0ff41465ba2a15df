package auth

import "net/http"

// Who is the user a request's credentials name: Basic credentials that
// authenticate, or a valid bearer token issued to someone who logged in.
// False for anonymous requests, anonymous tokens and wrong credentials,
// so a page can say who is signed in without judging any access.
func (a *Authorizer) Who(r *http.Request) (Principal, bool) {
	who, _, err := a.authenticate(r)
	if err != nil || who.Anonymous() {
		return Principal{}, false
	}
	return who, true
}
