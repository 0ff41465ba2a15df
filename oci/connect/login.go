package connect

import (
	"context"
	"fmt"

	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
)

// Login checks the credential against the registry and stores it in the
// docker credential store, as `docker login` does.
func Login(ctx context.Context, host, username, password string, o Options) error {
	store, err := o.CredentialStore()
	if err != nil {
		return err
	}
	reg, err := o.Registry(host)
	if err != nil {
		return err
	}
	cred := auth.Credential{Username: username, Password: password}
	if username == "" {
		// A bare token is an identity token, as docker and oras treat it.
		cred = auth.Credential{RefreshToken: password}
	}
	if err := credentials.Login(ctx, store, reg, cred); err != nil {
		return fmt.Errorf("login to %s: %w", host, err)
	}
	return nil
}

// Logout removes the stored credential for host.
func Logout(ctx context.Context, host string, o Options) error {
	store, err := o.CredentialStore()
	if err != nil {
		return err
	}
	if err := credentials.Logout(ctx, store, host); err != nil {
		return fmt.Errorf("logout from %s: %w", host, err)
	}
	return nil
}
