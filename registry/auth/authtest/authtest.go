// Package authtest sets up mpakd's authentication for tests: users with
// known passwords in a real htpasswd file, a policy file, and tokens with
// a fresh key, loaded through the same code mpakd runs.
package authtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/mpak-oci/mpak/registry/auth"
)

// Config says what to write.
type Config struct {
	// Users maps names to passwords; see Passwords.
	Users map[string]string
	// Policy is the policy file's YAML; "" runs without one (the
	// default policy).
	Policy string
	// Dir receives the files; default a new t.TempDir(). Tests that
	// edit the policy while a server runs write it again there.
	Dir    string
	Logger *slog.Logger // default: discard
}

// Passwords gives each user the password "<name>-pw".
func Passwords(names ...string) map[string]string {
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[n] = n + "-pw"
	}
	return m
}

// Paths are where the files are.
type Paths struct {
	Htpasswd, Policy string // Policy is "" without one
}

// Files writes the htpasswd file (bcrypt at the lowest cost: tests log
// in often) and the policy, and loads them.
func Files(t testing.TB, c Config) (*auth.Files, Paths) {
	t.Helper()
	dir := c.Dir
	if dir == "" {
		dir = t.TempDir()
	}
	var htpasswd strings.Builder
	for name, pw := range c.Users {
		hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		htpasswd.WriteString(name + ":" + string(hash) + "\n")
	}
	p := Paths{Htpasswd: filepath.Join(dir, "htpasswd")}
	write(t, p.Htpasswd, htpasswd.String())
	if c.Policy != "" {
		p.Policy = filepath.Join(dir, "policy.yaml")
		write(t, p.Policy, c.Policy)
	}
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	files, err := auth.LoadFiles(auth.FilesOptions{HtpasswdPath: p.Htpasswd, PolicyPath: p.Policy, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	return files, p
}

// Tokens are tokens signed with opts.Key, or a fresh key.
func Tokens(t testing.TB, opts auth.TokenOptions) *auth.Tokens {
	t.Helper()
	if opts.Key == nil {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		opts.Key = key
	}
	tokens, err := auth.NewTokens(opts)
	if err != nil {
		t.Fatal(err)
	}
	return tokens
}

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
