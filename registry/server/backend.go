package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"

	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/registry/embedded"
	"github.com/mpak-oci/mpak/registry/proxy"
	"github.com/mpak-oci/mpak/registry/referrers"
)

// repositories is how mpakd reads its own registry: per repository for
// indexing, and the whole catalog for reindex.
type repositories interface {
	Repository(ctx context.Context, name string) (registry.Repository, error)
	Repositories(ctx context.Context) ([]string, error)
}

// backend is where bundles live: the embedded registry, or an upstream.
type backend struct {
	v2    http.Handler
	repos repositories
	close func() error
}

// embeddedBackend serves distribution/v3 in-process with the referrers API
// it lacks on top, keeping each subject's list in the registry as the
// spec's fallback index.
func embeddedBackend(ctx context.Context, opts Options, locker referrers.Locker, log *slog.Logger) (*backend, error) {
	reg, err := embedded.New(ctx, embedded.Options{Dir: opts.DataDir,
		PurgeAge: opts.UploadPurgeAge, PurgeInterval: opts.UploadPurgeInterval, Logger: log})
	if err != nil {
		return nil, err
	}
	return &backend{
		v2:    referrers.Middleware(reg, referrers.Options{Repos: reg, Locker: locker, Logger: log}),
		repos: reg,
		close: reg.Close,
	}, nil
}

// upstreamBackend streams /v2/ to an existing registry; mpakd's own reads
// go to it directly with the credentials in o. Where the upstream has no
// referrers API (distribution, GHCR), mpakd keeps each subject's list in
// its fallback tag, with those credentials, and answers OCI-Subject, so
// clients never write fallback tags themselves.
//
// asSelf is for an mpakd that authenticates its clients itself: clients'
// credentials are mpakd's, not the upstream's, so the proxy talks to the
// upstream with o's credentials too. Otherwise it is transparent.
func upstreamBackend(u *url.URL, o connect.Options, asSelf bool, locker referrers.Locker, log *slog.Logger) (*backend, error) {
	popts := proxy.Options{Logger: log}
	if asSelf {
		popts.Credentials = upstreamCredential(o)
	}
	p, err := proxy.New(u, popts)
	if err != nil {
		return nil, err
	}
	o.PlainHTTP = o.PlainHTTP || u.Scheme == "http"
	repos := upstreamRepos{host: u.Host, remote: o}
	return &backend{
		v2:    referrers.Middleware(p, referrers.Options{Repos: repos, Locker: locker, Upstream: true, Logger: log}),
		repos: repos,
		close: func() error { return nil },
	}, nil
}

// upstreamCredential reads o's store whenever the proxy fetches a
// credential (first contact, a refused or expired one), as mpakd's own
// reads do, so a docker login made while mpakd runs is picked up without
// a restart.
func upstreamCredential(o connect.Options) auth.CredentialFunc {
	return func(ctx context.Context, hostport string) (auth.Credential, error) {
		store, err := o.CredentialStore()
		if err != nil {
			return auth.EmptyCredential, err
		}
		return credentials.Credential(store)(ctx, hostport)
	}
}

type upstreamRepos struct {
	host   string
	remote connect.Options
}

func (u upstreamRepos) Repository(_ context.Context, name string) (registry.Repository, error) {
	r, err := ref.Parse(u.host+"/"+name, ref.Defaults{})
	if err != nil {
		return nil, fmt.Errorf("repository %q: %w", name, err)
	}
	return u.remote.Repository(r)
}

// Repositories uses the upstream's _catalog, which many registries (GHCR,
// Docker Hub) do not offer to ordinary accounts: reindex then needs the
// repositories named (mpakd sync).
func (u upstreamRepos) Repositories(ctx context.Context) ([]string, error) {
	reg, err := u.remote.Registry(u.host)
	if err != nil {
		return nil, err
	}
	repos, err := registry.Repositories(ctx, reg)
	if err != nil {
		//lint:ignore ST1005 the message ends with the command to run instead, whose usage "REPO..." ends in dots
		return nil, fmt.Errorf("listing the upstream's repositories (_catalog): %w; name them instead: mpakd sync REPO...", err)
	}
	return repos, nil
}
