package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/mpak-oci/mpak/registry/auth"
)

// defaultOIDCIssuer is here, not in main.go, whose "auth" is oras-go's.
const defaultOIDCIssuer = auth.DefaultOIDCIssuer

// defaultOIDCAudience is what CI jobs request their token for when the
// operator names no audience: a token minted for another service (npm,
// PyPI, a cloud) does not log in here.
const defaultOIDCAudience = "mpakd"

// oidcFlagsSet reports whether any --auth-oidc-* flag asks for trusted
// publishing.
func (f *serveFlags) oidcFlagsSet() bool {
	return (f.oidcIssuer != "" && f.oidcIssuer != defaultOIDCIssuer) || f.oidcAudience != "" || f.oidcJWKS != ""
}

// publishers is the trusted-publishing authenticator, to try before the
// htpasswd users. It is always on with authentication: it costs nothing
// until a token of its issuer arrives (keys are fetched then), and the
// rules are read from the current policy at every login, so a policy
// given its first trustedPublishers rule applies without a restart.
func (f *serveFlags) publishers(files *auth.Files, log *slog.Logger) (auth.Authenticator, error) {
	ruled := files.Policy().HasTrustedPublishers()
	opts := auth.PublisherOptions{
		Issuer:   f.oidcIssuer,
		Audience: f.oidcAudience,
		Policy:   files.Policy,
		Logger:   log,
	}
	if opts.Audience == "" {
		opts.Audience = defaultOIDCAudience
	}
	if j := f.oidcJWKS; strings.HasPrefix(j, "https://") || strings.HasPrefix(j, "http://") {
		opts.JWKSURL = j
	} else {
		opts.JWKSFile = j
	}
	p, err := auth.NewPublishers(opts)
	if err != nil {
		return nil, fmt.Errorf("%w; check the --auth-oidc-* flags", err)
	}
	if ruled {
		log.Info("trusted publishing on: CI jobs log in with their OIDC token as the password",
			"issuer", p.Issuer(), "audience", p.Audience())
	}
	return p, nil
}
