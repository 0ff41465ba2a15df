package sign

import (
	"context"
	"crypto/tls"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrremote "github.com/google/go-containerregistry/pkg/v1/remote"
	"oras.land/oras-go/v2/registry/remote/credentials"

	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
)

// Open returns the Registry of r's repository with mpak's connection
// options, and the digest reference of dgst in it, for cosign's libraries.
func Open(ctx context.Context, r ref.Reference, dgst string, opts connect.Options) (Registry, name.Digest, error) {
	repo, err := opts.Repository(r)
	if err != nil {
		return Registry{}, name.Digest{}, err
	}
	var nameOpts []name.Option
	if opts.UsePlainHTTP(r.Registry) {
		nameOpts = append(nameOpts, name.Insecure)
	}
	d, err := name.NewDigest(r.Registry+"/"+r.Repository+"@"+dgst, nameOpts...)
	if err != nil {
		return Registry{}, name.Digest{}, err
	}
	store, err := opts.CredentialStore()
	if err != nil {
		return Registry{}, name.Digest{}, err
	}
	ro := []ggcrremote.Option{ggcrremote.WithContext(ctx), ggcrremote.WithAuthFromKeychain(keychain{store})}
	switch {
	case opts.Transport != nil:
		ro = append(ro, ggcrremote.WithTransport(opts.Transport))
	case opts.Insecure:
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user asked for --insecure
		ro = append(ro, ggcrremote.WithTransport(t))
	}
	return Registry{Remote: ro, Referrers: repo}, d, nil
}

// keychain lends go-containerregistry the credentials oras-go uses (the
// docker config and its helpers, or what the caller configured), so both
// clients log in as the same user.
type keychain struct{ store credentials.Store }

func (k keychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	c, err := k.store.Get(context.Background(), target.RegistryStr())
	if err != nil {
		return nil, err
	}
	if c.Username == "" && c.Password == "" && c.AccessToken == "" && c.RefreshToken == "" {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(authn.AuthConfig{Username: c.Username, Password: c.Password,
		IdentityToken: c.RefreshToken, RegistryToken: c.AccessToken}), nil
}
