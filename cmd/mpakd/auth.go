package main

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/mpak-oci/mpak/registry/auth"
	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/server"
)

// auth loads the users, policy and token key the flags name, and keeps the
// files current until ctx ends: on change, and on SIGHUP. Robot tokens log
// in too, from store. nil without --auth-htpasswd.
func (f *serveFlags) auth(ctx context.Context, log *slog.Logger, store catalog.Store) (*server.AuthOptions, error) {
	if f.oidcFlagsSet() && f.authHtpasswd == "" {
		return nil, fmt.Errorf("--auth-oidc-* needs --auth-htpasswd: trusted publishing is part of mpakd's authentication")
	}
	if f.authHtpasswd == "" {
		if f.authPolicy != "" {
			return nil, fmt.Errorf("--auth-policy needs --auth-htpasswd: a policy says what users may do, and there are no users")
		}
		return nil, nil
	}
	files, err := auth.LoadFiles(auth.FilesOptions{HtpasswdPath: f.authHtpasswd, PolicyPath: f.authPolicy, Logger: log})
	if err != nil {
		return nil, err
	}
	key, err := f.tokenKey(ctx, log, store)
	if err != nil {
		return nil, err
	}
	tokens, err := auth.NewTokens(auth.TokenOptions{Key: key})
	if err != nil {
		return nil, err
	}
	go func() {
		if err := files.Watch(ctx); err != nil {
			log.Warn("watching the auth files failed; they are re-read on SIGHUP only", "err", err)
		}
	}()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				if err := files.Reload(); err == nil {
					log.Info("auth files re-read on SIGHUP")
				}
			}
		}
	}()
	opts := &server.AuthOptions{Files: files, Tokens: tokens, Realm: f.authRealm}
	if rs, ok := store.(auth.RobotStore); ok {
		opts.Authenticators = append(opts.Authenticators, auth.NewRobots(auth.RobotOptions{Store: rs, Logger: log}))
	} else {
		log.Warn("robot tokens are off: the catalog store cannot keep them", "store", fmt.Sprintf("%T", store))
	}
	pubs, err := f.publishers(files, log)
	if err != nil {
		return nil, err
	}
	if pubs != nil {
		opts.Authenticators = append(opts.Authenticators, pubs)
	}
	return opts, nil
}

// tokenKey is the key that signs tokens: --auth-token-key, else the one
// in the PostgreSQL catalog, which every replica shares (with a file
// each, a token one replica issued would not verify on the next), else a
// file in --data.
func (f *serveFlags) tokenKey(ctx context.Context, log *slog.Logger, store catalog.Store) (*ecdsa.PrivateKey, error) {
	if f.authTokenKey != "" {
		return auth.LoadOrCreateKey(f.authTokenKey)
	}
	if strings.HasPrefix(f.db, "postgres://") || strings.HasPrefix(f.db, "postgresql://") {
		ks, ok := store.(auth.KeyStore)
		if !ok {
			return nil, fmt.Errorf("the PostgreSQL catalog cannot keep the token key: pass --auth-token-key, the same file on every replica")
		}
		key, err := auth.LoadOrCreateSharedKey(ctx, ks)
		if err != nil {
			return nil, fmt.Errorf("%w (or pass --auth-token-key, the same file on every replica)", err)
		}
		log.Info("tokens are signed with the key in the PostgreSQL catalog, shared by every replica")
		return key, nil
	}
	return auth.LoadOrCreateKey(filepath.Join(f.data, "auth", "token.key"))
}

// checkExposure refuses to serve an address other machines can reach
// without authentication, unless the operator says so out loud: mpakd
// without it lets anyone who reaches the port push.
func checkExposure(addr string, authenticated, insecure bool) error {
	if authenticated || insecure {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--addr %s is reachable from other machines and no authentication is on: anyone who reaches it could push; "+
		"turn it on with --auth-htpasswd FILE (and --auth-policy), or pass --insecure-no-auth to serve it open anyway", addr)
}
