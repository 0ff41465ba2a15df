// Package connect connects to OCI registries the way docker, oras and crane
// users expect: credentials from the docker config and its credential
// helpers, plain HTTP for loopback registries, retries on transient errors.
package connect

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"path/filepath"

	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/retry"

	"github.com/mpak-oci/mpak/oci/ref"
)

// DefaultUserAgent is sent when Options.UserAgent is empty.
const DefaultUserAgent = "mpak"

// Options says how to reach a registry. The zero value reads credentials
// from the docker config and uses HTTPS except for loopback hosts.
type Options struct {
	// PlainHTTP forces http:// for every registry (loopback ones use it anyway).
	PlainHTTP bool
	// Insecure skips TLS certificate verification.
	Insecure bool
	// Credentials overrides the docker config store (tests, --username flags).
	Credentials credentials.Store
	// Transport overrides the HTTP transport (tests, benchmarks).
	Transport http.RoundTripper
	// UserAgent is sent with every request (default DefaultUserAgent);
	// the CLI sends mpak/<version>.
	UserAgent string
	// DockerConfig is the docker configuration directory whose
	// config.json holds credentials, as $DOCKER_CONFIG names it (the CLI
	// passes that variable from its environment). Empty reads
	// $DOCKER_CONFIG from the process environment, else ~/.docker.
	DockerConfig string
}

// UsePlainHTTP reports whether host is reached over http://.
func (o Options) UsePlainHTTP(host string) bool {
	return o.PlainHTTP || ref.IsLocalHost(host)
}

// CredentialStore returns the configured store, else the docker config one
// (in DockerConfig, else $DOCKER_CONFIG or ~/.docker, honouring credsStore
// and credHelpers).
func (o Options) CredentialStore() (credentials.Store, error) {
	if o.Credentials != nil {
		return o.Credentials, nil
	}
	var s credentials.Store
	var err error
	if o.DockerConfig != "" {
		s, err = credentials.NewStore(filepath.Join(o.DockerConfig, "config.json"), credentials.StoreOptions{AllowPlaintextPut: true})
	} else {
		s, err = credentials.NewStoreFromDocker(credentials.StoreOptions{AllowPlaintextPut: true})
	}
	if err != nil {
		return nil, fmt.Errorf("reading docker credentials: %w (fix the docker config file or set DOCKER_CONFIG)", err)
	}
	return s, nil
}

// Client builds the authenticating HTTP client shared by repositories.
func (o Options) Client() (*auth.Client, error) {
	store, err := o.CredentialStore()
	if err != nil {
		return nil, err
	}
	base := o.Transport
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		if o.Insecure {
			t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user asked for --insecure
		}
		base = t
	}
	c := &auth.Client{
		Client:     &http.Client{Transport: retry.NewTransport(base)},
		Cache:      auth.NewCache(),
		Credential: credentials.Credential(store),
	}
	ua := o.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	c.SetUserAgent(ua)
	return c, nil
}

// Repository opens the repository a reference names.
func (o Options) Repository(r ref.Reference) (*remote.Repository, error) {
	repo, err := remote.NewRepository(r.RepositoryRef())
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", r.RepositoryRef(), err)
	}
	c, err := o.Client()
	if err != nil {
		return nil, err
	}
	repo.Client = c
	repo.PlainHTTP = o.UsePlainHTTP(r.Registry)
	// Registries often refuse deletes; a stale fallback index is harmless,
	// a failed attach is not (oras CLI made the same call, oras#921).
	repo.SkipReferrersGC = true
	return repo, nil
}

// Registry opens a registry by host name, for login and catalog calls.
func (o Options) Registry(host string) (*remote.Registry, error) {
	reg, err := remote.NewRegistry(host)
	if err != nil {
		return nil, fmt.Errorf("registry %q: %w", host, err)
	}
	c, err := o.Client()
	if err != nil {
		return nil, err
	}
	reg.Client = c
	reg.PlainHTTP = o.UsePlainHTTP(host)
	return reg, nil
}
