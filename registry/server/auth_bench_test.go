package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
	orasremote "oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"

	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/bundle/bundletest"
	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
	mauth "github.com/mpak-oci/mpak/registry/auth"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/server"
)

// What authentication costs a pull, side by side with the same mpakd
// without it:
//
//	go test ./registry/server/ -run '^$' -bench PullAuth -benchtime 200x -count 5
//
// open is mpakd without authentication, pulled anonymously; token is mpakd
// with --auth-htpasswd and a policy that makes the repository private,
// pulled by a user whose client caches its token (as oras-go's and so
// mpak's do), so after the first pull each request carries a bearer token
// the server verifies. Each iteration pulls the same bundle (index,
// manifest, config, a layer of about 0.5 MiB) into a fresh directory.
func BenchmarkPullAuth(b *testing.B) {
	for _, authed := range []bool{false, true} {
		name := "open"
		if authed {
			name = "token"
		}
		b.Run(name, func(b *testing.B) {
			host, repository := benchAuthServer(b, authed)
			repo := benchAuthRepo(b, host, repository, authed)
			noise := make([]byte, 512<<10)
			rand.Read(noise)
			file := mcpbtest.Pack(b, "weather", "1.0.0", hex.EncodeToString(noise)) // 1 MiB of text, about half after deflate
			plan, err := bundle.Prepare([]bundle.File{{Path: file, Platform: mediatypes.AnyPlatform}}, bundle.PrepareOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := bundle.Push(context.Background(), repo, plan, "1.0.0", bundle.PushOptions{}); err != nil {
				b.Fatal(err)
			}
			// One pull first, unmeasured: it fetches the token (a bcrypt
			// check of the password), which a client then reuses.
			if _, err := bundle.Pull(context.Background(), repo, bundletest.Resolve(b, repo, "1.0.0"), bundle.PullOptions{Output: b.TempDir()}); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				b.StopTimer()
				out := b.TempDir()
				b.StartTimer()
				if _, err := bundle.Pull(context.Background(), repo, bundletest.Resolve(b, repo, "1.0.0"), bundle.PullOptions{Output: out, Force: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchAuthServer starts mpakd, with alice and a policy where
// private/** is hers alone when authed; it returns its host and the
// repository to use.
func benchAuthServer(b *testing.B, authed bool) (string, string) {
	b.Helper()
	store, err := sqlite.Open(filepath.Join(b.TempDir(), "index.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	opts := server.Options{DataDir: b.TempDir(), Store: store, Logger: slog.New(slog.DiscardHandler)}
	repository := "acme/weather"
	if authed {
		repository = "private/weather"
		dir := b.TempDir()
		hash, err := bcrypt.GenerateFromPassword([]byte("alice-pw"), bcrypt.DefaultCost)
		if err != nil {
			b.Fatal(err)
		}
		policy := "repositories:\n  \"**\":\n    anonymous: [read]\n  \"private/**\":\n    policies:\n      - users: [alice]\n        actions: [read, push]\n"
		for name, content := range map[string]string{"htpasswd": "alice:" + string(hash) + "\n", "policy.yaml": policy} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
				b.Fatal(err)
			}
		}
		files, err := mauth.LoadFiles(mauth.FilesOptions{HtpasswdPath: filepath.Join(dir, "htpasswd"), PolicyPath: filepath.Join(dir, "policy.yaml"),
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		tokens, err := mauth.NewTokens(mauth.TokenOptions{Key: key})
		if err != nil {
			b.Fatal(err)
		}
		opts.Auth = &server.AuthOptions{Files: files, Tokens: tokens}
	}
	srv, err := server.New(context.Background(), opts)
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	b.Cleanup(func() {
		hs.Close()
		srv.Shutdown(context.Background())
	})
	return strings.TrimPrefix(hs.URL, "http://"), repository
}

// benchAuthRepo is the repository as mpak opens it: one client, so its
// token cache lives across pulls.
func benchAuthRepo(b *testing.B, host, repository string, authed bool) *orasremote.Repository {
	b.Helper()
	r, err := ref.Parse(host+"/"+repository, ref.Defaults{})
	if err != nil {
		b.Fatal(err)
	}
	o := connect.Options{Credentials: credentials.NewMemoryStore()}
	if authed {
		if err := o.Credentials.Put(context.Background(), host, auth.Credential{Username: "alice", Password: "alice-pw"}); err != nil {
			b.Fatal(err)
		}
	}
	repo, err := o.Repository(r)
	if err != nil {
		b.Fatal(err)
	}
	return repo
}
