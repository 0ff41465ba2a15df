package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/mpak-oci/mpak/registry/auth"
	"github.com/mpak-oci/mpak/registry/server"
)

// auth loads the users, policy and token key the flags name, and keeps the
// files current until ctx ends: on change, and on SIGHUP. nil without
// --auth-htpasswd.
func (f *serveFlags) auth(ctx context.Context, log *slog.Logger) (*server.AuthOptions, error) {
	if f.authHtpasswd == "" {
		if f.authPolicy != "" {
			return nil, fmt.Errorf("--auth-policy needs --auth-htpasswd: a policy says what users may do, and there are no users")
		}
		return nil, nil
	}
	if f.upstream != "" {
		// The proxy passes clients' credentials to the upstream, which
		// authenticates them itself; mpakd's own tokens would not get
		// through.
		return nil, fmt.Errorf("--auth-htpasswd with --upstream is not supported yet: in upstream mode the upstream registry authenticates clients (their credentials pass through mpakd); use its users and permissions")
	}
	files, err := auth.LoadFiles(auth.FilesOptions{HtpasswdPath: f.authHtpasswd, PolicyPath: f.authPolicy, Logger: log})
	if err != nil {
		return nil, err
	}
	keyPath := f.authTokenKey
	if keyPath == "" {
		keyPath = filepath.Join(f.data, "auth", "token.key")
	}
	key, err := auth.LoadOrCreateKey(keyPath)
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
	return &server.AuthOptions{Files: files, Tokens: tokens, Realm: f.authRealm}, nil
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
