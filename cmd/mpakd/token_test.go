package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	orasremote "oras.land/oras-go/v2/registry/remote"
	orasauth "oras.land/oras-go/v2/registry/remote/auth"

	"github.com/mpak-oci/mpak/registry/auth"
	"github.com/mpak-oci/mpak/registry/catalog/postgres/pgtest"
)

// mpakdToken runs an mpakd command and returns its stdout and stderr
// apart: token create prints the secret on one and the advice on the
// other.
func mpakdToken(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := rootCommand()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// createToken runs mpakd token create and returns the secret it printed.
func createToken(t *testing.T, data string, args ...string) string {
	t.Helper()
	out, errOut, err := mpakdToken(t, append([]string{"token", "create", "--data", data}, args...)...)
	if err != nil {
		t.Fatalf("token create: %v\n%s", err, errOut)
	}
	return strings.TrimSuffix(out, "\n")
}

func TestTokenCommands(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	out, errOut, err := mpakdToken(t, "token", "create", "--data", data, "--name", "ci", "--scope", "acme/*", "--push", "--ttl", "90d")
	if err != nil {
		t.Fatalf("token create: %v\n%s", err, errOut)
	}
	secret := strings.TrimSuffix(out, "\n")
	if !strings.HasPrefix(secret, auth.RobotSecretPrefix) || strings.ContainsAny(secret, " \n") || len(secret) != len(auth.RobotSecretPrefix)+43 {
		t.Fatalf("stdout %q, want the secret alone on one line", out)
	}
	for _, want := range []string{"mpak login HOST -u ci --password-stdin", "only time the secret is shown", "read,push on acme/*", "expires"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr does not say %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, secret) {
		t.Errorf("the secret is on stderr too:\n%s", errOut)
	}
	mirror := createToken(t, data, "--name", "mirror", "--scope", "**")

	_, _, err = mpakdToken(t, "token", "create", "--data", data, "--name", "ci", "--scope", "acme/**")
	if err == nil || !strings.Contains(err.Error(), "mpakd token revoke ci") {
		t.Errorf("a second active ci: %v, want an error telling to revoke the first", err)
	}

	list := func() string {
		t.Helper()
		out, errOut, err := mpakdToken(t, "token", "list", "--data", data)
		if err != nil {
			t.Fatalf("token list: %v\n%s", err, errOut)
		}
		for _, s := range []string{secret, mirror} {
			sum := sha256.Sum256([]byte(s))
			if strings.Contains(out, s[len(auth.RobotSecretPrefix):]) || strings.Contains(out, hex.EncodeToString(sum[:])) {
				t.Errorf("token list shows a secret or its hash:\n%s", out)
			}
		}
		return out
	}
	out = list()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") {
		t.Fatalf("token list:\n%s\nwant a header and two tokens", out)
	}
	for _, want := range []string{"ci", "acme/*", "read,push", "never", "active"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("ci's line %q does not show %q", lines[1], want)
		}
	}
	if f := strings.Fields(lines[2]); f[0] != "mirror" || f[2] != "read" || f[len(f)-1] != "active" {
		t.Errorf("mirror's line %q", lines[2])
	}

	if _, errOut, err := mpakdToken(t, "token", "revoke", "--data", data, "ci"); err != nil || !strings.Contains(errOut, "revoked") {
		t.Fatalf("token revoke: %v\n%s", err, errOut)
	}
	if _, _, err := mpakdToken(t, "token", "revoke", "--data", data, "ci"); err == nil || !strings.Contains(err.Error(), "mpakd token list") {
		t.Errorf("revoking twice: %v, want an error pointing at mpakd token list", err)
	}
	if _, _, err := mpakdToken(t, "token", "revoke", "--data", data, "nobody"); err == nil || !strings.Contains(err.Error(), `"nobody"`) {
		t.Errorf("revoking an unknown name: %v, want an error naming it", err)
	}
	again := createToken(t, data, "--name", "ci", "--scope", "acme/weather")
	if again == secret {
		t.Error("a new token has the revoked one's secret")
	}
	out = list()
	if n := strings.Count(out, "\nci "); n != 2 || !strings.Contains(out, "revoked") {
		t.Errorf("token list after revoke and re-create:\n%s\nwant both ci tokens, one revoked", out)
	}
}

func TestTokenCreateRefusesBadFlags(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--name", "ci", "--scope", "Acme/*"}, []string{"--scope", "lower-case"}},
		{[]string{"--name", "ci", "--scope", "acme//x"}, []string{"--scope", "empty path component"}},
		{[]string{"--name", "ci"}, []string{"--scope is required", "acme/*"}},
		{[]string{"--scope", "acme/*"}, []string{"--name is required"}},
		{[]string{"--name", "ci:x", "--scope", "acme/*"}, []string{"--name", "letters, digits"}},
		{[]string{"--name", "ci", "--scope", "acme/*", "--ttl", "3w"}, []string{"--ttl", "90d", "720h"}},
		{[]string{"--name", "ci", "--scope", "acme/*", "--ttl", "-5d"}, []string{"--ttl", "never expires"}},
		{[]string{"--name", "ci", "--scope", "acme/*", "--ttl", "-1h"}, []string{"--ttl"}},
		{[]string{"--name", "ci", "--scope", "acme/*", "--ttl", "d"}, []string{"--ttl"}},
	} {
		out, _, err := mpakdToken(t, append([]string{"token", "create", "--data", data}, c.args...)...)
		if err == nil {
			t.Errorf("token create %q succeeded, want an error", c.args)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("token create %q: %v\nwant it to say %q", c.args, err, w)
			}
		}
		if out != "" {
			t.Errorf("token create %q printed %q on stdout", c.args, out)
		}
	}
	if out, _, _ := mpakdToken(t, "token", "list", "--data", data); out != "" {
		t.Errorf("refused creations left tokens:\n%s", out)
	}
}

func TestParseTokenTTL(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"": 0, "0": 0, "0d": 0, "90d": 90 * 24 * time.Hour, "1d": 24 * time.Hour, "720h": 720 * time.Hour, "90m": 90 * time.Minute, "0s": 0,
	} {
		if got, err := parseTokenTTL(in); err != nil || got != want {
			t.Errorf("parseTokenTTL(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"3w", "1.5d", "-1d", "-1h", "d", "90 d", "forever"} {
		if _, err := parseTokenTTL(in); err == nil {
			t.Errorf("parseTokenTTL(%q) succeeded, want an error", in)
		}
	}
}

// robotRepo is repository on addr as a client logged in with a robot
// token, fetching bearer tokens from mpakd's token endpoint.
func robotRepo(t *testing.T, addr, repository, username, secret string) *orasremote.Repository {
	t.Helper()
	repo, err := orasremote.NewRepository(addr + "/" + repository)
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	repo.Client = &orasauth.Client{
		Credential: orasauth.StaticCredential(addr, orasauth.Credential{Username: username, Password: secret}),
		Cache:      orasauth.NewCache(),
	}
	return repo
}

func pushBlob(repo *orasremote.Repository, content string) error {
	b := []byte(content)
	return repo.Push(context.Background(), ocispec.Descriptor{MediaType: "application/octet-stream", Digest: digest.FromBytes(b), Size: int64(len(b))}, bytes.NewReader(b))
}

// A robot token logs in to a running mpakd through the token endpoint,
// pushes where its scope says and nowhere else (though the default policy
// lets users push everywhere), and stops working when revoked, without a
// restart.
func TestRobotTokenLogsInToMpakd(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	users := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(users, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	secret := createToken(t, data, "--name", "ci", "--scope", "acme/*", "--push")
	addr := freeAddr(t)
	stop := start(t, "serve", "--data", data, "--auth-htpasswd", users, "--addr", addr)
	defer stop()

	if err := pushBlob(robotRepo(t, addr, "acme/weather", "ci", secret), "in scope"); err != nil {
		t.Fatalf("robot push within its scope: %v", err)
	}
	if err := pushBlob(robotRepo(t, addr, "other/tool", "ci", secret), "out of scope"); err == nil {
		t.Error("robot push outside its scope succeeded")
	}
	if err := pushBlob(robotRepo(t, addr, "acme/weather", "ci", secret+"x"), "bad secret"); err == nil {
		t.Error("a wrong secret pushed")
	}

	if _, errOut, err := mpakdToken(t, "token", "revoke", "--data", data, "ci"); err != nil {
		t.Fatalf("token revoke: %v\n%s", err, errOut)
	}
	if err := pushBlob(robotRepo(t, addr, "acme/weather", "ci", secret), "after revoke"); err == nil {
		t.Error("a revoked token still pushed")
	}
	out, _, err := mpakdToken(t, "token", "list", "--data", data)
	lines := strings.Split(out, "\n")
	// NAME SCOPE ACTIONS CREATED(date time) EXPIRES(never) LAST USED(date time) STATUS
	if f := strings.Fields(lines[min(1, len(lines)-1)]); err != nil || len(f) != 9 || f[len(f)-1] != "revoked" {
		t.Errorf("token list after use and revoke: %v\n%s\nwant ci revoked, with a last use", err, out)
	}
}

// Replicas on one PostgreSQL catalog sign with one key, so a token from
// either verifies on both; without PostgreSQL the key is a file in --data.
func TestTokenKeySharedByReplicas(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(users, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	f := &serveFlags{data: filepath.Join(dir, "sqlite"), authHtpasswd: users}
	store, err := openStore(ctx, f.db, f.data)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	opts, err := f.auth(ctx, log, store)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(f.data, "auth", "token.key")); err != nil {
		t.Errorf("with SQLite, the key is not in --data: %v", err)
	}
	if !hasRobots(opts.Authenticators) {
		t.Errorf("SQLite: authenticators %T, want the robot tokens among them", opts.Authenticators)
	}

	dsn := pgtest.NewSchema(t)
	var replicas [2]*auth.Tokens
	for i := range replicas {
		f := &serveFlags{db: dsn, data: filepath.Join(dir, "replica"+string(rune('a'+i))), authHtpasswd: users}
		store, err := openStore(ctx, f.db, f.data)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		opts, err := f.auth(ctx, log, store)
		if err != nil {
			t.Fatal(err)
		}
		if !hasRobots(opts.Authenticators) {
			t.Errorf("replica %d: authenticators %T, want the robot tokens among them", i, opts.Authenticators)
		}
		replicas[i] = opts.Tokens
		if _, err := os.Stat(filepath.Join(f.data, "auth", "token.key")); err == nil {
			t.Errorf("replica %d wrote a key file", i)
		}
	}
	tok, _, err := replicas[0].Issue("alice", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := replicas[1].Verify(tok); err != nil {
		t.Errorf("replica b does not verify replica a's token: %v", err)
	}
}

func hasRobots(as []auth.Authenticator) bool {
	for _, a := range as {
		if _, ok := a.(*auth.Robots); ok {
			return true
		}
	}
	return false
}
