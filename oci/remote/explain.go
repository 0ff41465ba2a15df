package remote

import (
	"errors"
	"fmt"
	"net/http"

	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// Explain adds the fix to the registry errors people meet most: missing or
// rejected credentials, missing rights, unknown repositories. Other errors
// are returned unchanged.
func Explain(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, auth.ErrBasicCredentialNotFound) {
		return fmt.Errorf("%w: the registry requires credentials; run `mpak login HOST` (an existing docker or oras login works too)", err)
	}
	var resp *errcode.ErrorResponse
	if !errors.As(err, &resp) {
		return err
	}
	host := ""
	if resp.URL != nil {
		host = resp.URL.Host
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return fmt.Errorf("%w: credentials for %s are missing or were rejected; run `mpak login %s`", err, host, host)
	case http.StatusForbidden:
		return fmt.Errorf("%w: the account has no access to this repository on %s; ask for pull/push rights or use another namespace", err, host)
	case http.StatusNotFound:
		for _, e := range resp.Errors {
			if e.Code == errcode.ErrorCodeNameUnknown {
				return fmt.Errorf("%w: nothing has been pushed to this repository (check the name and MPAK_REGISTRY)", err)
			}
		}
	}
	return err
}
