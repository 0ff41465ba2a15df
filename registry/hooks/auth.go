package hooks

import (
	"crypto/subtle"
	"strings"
)

// authorized checks an Authorization header against the secret, as
// "Bearer <secret>" or the bare secret, in time independent of where they
// differ.
func authorized(header, secret string) bool {
	if header == "" || secret == "" {
		return false
	}
	ok := subtle.ConstantTimeCompare([]byte(header), []byte(secret))
	if scheme, token, found := strings.Cut(header, " "); found && strings.EqualFold(scheme, "Bearer") {
		ok |= subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(secret))
	}
	return ok == 1
}
