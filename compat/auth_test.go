package compat

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/internal/testenv"

	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/registry/auth"
	"github.com/mpak-oci/mpak/registry/auth/authtest"
	"github.com/mpak-oci/mpak/registry/server"
)

const authPolicy = `groups:
  maintainers: [alice]
repositories:
  "**":
    anonymous: [read]
    authenticated: [read, push]
  "acme/**":
    policies:
      - groups: [maintainers]
        actions: [read, push]
    anonymous: [read]
    authenticated: [read]
  "secret/**":
    policies:
      - users: [alice]
        actions: [read, push]
admin:
  users: [root]
  actions: [read, push, delete]
`

// authedMpakd is mpakd with htpasswd users alice, bob and root (password
// "<name>-pw") and authPolicy, the policy file's path, and its log.
func authedMpakd(t *testing.T) (*node, string, *testenv.Buffer) {
	t.Helper()
	log := &testenv.Buffer{}
	logger := slog.New(slog.NewTextHandler(log, nil))
	files, paths := authtest.Files(t, authtest.Config{Users: authtest.Passwords("alice", "bob", "root"), Policy: authPolicy, Logger: logger})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go files.Watch(ctx)
	tokens := authtest.Tokens(t, auth.TokenOptions{})
	return startMpakd(t, server.Options{Auth: &server.AuthOptions{Files: files, Tokens: tokens}, Logger: logger}), paths.Policy, log
}

// TestLoginAndPolicy: with authentication on, every standard client logs
// in and is held to the policy: anonymous clients read public
// repositories and push nothing, a maintainer pushes where a mere user may
// not, a private repository is invisible and unreadable to others, and an
// edited policy applies without a restart. Writes and refusals are in the
// audit log.
func TestLoginAndPolicy(t *testing.T) {
	n, policyPath, log := authedMpakd(t)
	h := n.host
	anon := newCLI(t, h, "mpak", "oras", "crane")
	alice := newCLI(t, h, "mpak", "oras", "crane", "regctl", "cosign")
	bob := newCLI(t, h, "mpak", "oras", "crane")
	hello := mcpbtest.Pack(t, "hello", "1.0.0", "")

	anon.refused("oras", []string{"login", "--plain-http", h, "-u", "alice", "-p", "wrong"}, "invalid username or password")
	alice.ok("mpak", "login", h, "-u", "alice", "-p", "alice-pw")
	alice.ok("oras", "login", "--plain-http", h, "-u", "alice", "-p", "alice-pw")
	alice.ok("crane", "auth", "login", h, "-u", "alice", "-p", "alice-pw")
	alice.ok("regctl", "registry", "login", h, "-u", "alice", "-p", "alice-pw")
	alice.ok("cosign", "login", h, "-u", "alice", "-p", "alice-pw")
	bob.ok("crane", "auth", "login", h, "-u", "bob", "-p", "bob-pw")

	published := alice.push(h+"/acme/hello", hello).Digest
	anon.refused("mpak", []string{"bundle", "push", h + "/acme/other", mcpbtest.Pack(t, "other", "1.0.0", "")}, "push access to acme/other needs credentials")
	bob.refused("mpak", []string{"bundle", "push", h + "/acme/bobs", mcpbtest.Pack(t, "bobs", "1.0.0", "")}, "bob may not push acme/bobs: the policy grants read there")
	bob.push(h+"/bob/tool", mcpbtest.Pack(t, "tool", "1.0.0", ""))
	anon.ok("mpak", "bundle", "pull", h+"/acme/hello:1.0.0", "-o", t.TempDir()+"/")
	if out := alice.ok("regctl", "tag", "ls", h+"/acme/hello"); !strings.Contains(out, "1.0.0") {
		t.Errorf("regctl tag ls as alice: %s", out)
	}

	alice.push(h+"/secret/plans", mcpbtest.Pack(t, "plans", "1.0.0", ""))
	anon.refused("oras", []string{"pull", "--plain-http", "-o", t.TempDir(), h + "/secret/plans:1.0.0"}, "read access to secret/plans needs credentials")
	bob.refused("crane", []string{"manifest", "--insecure", h + "/secret/plans:1.0.0"}, "bob may not read secret/plans: the policy grants nothing there")
	alice.ok("oras", "pull", "--plain-http", "-o", t.TempDir(), h+"/secret/plans:1.0.0")
	if out := alice.ok("crane", "catalog", "--insecure", h); !strings.Contains(out, "secret/plans") {
		t.Errorf("crane catalog as alice does not list secret/plans:\n%s", out)
	}
	if out := bob.ok("crane", "catalog", "--insecure", h); strings.Contains(out, "secret/plans") || !strings.Contains(out, "acme/hello") {
		t.Errorf("crane catalog as bob lists %q, want acme/hello but not secret/plans", out)
	}

	dir := t.TempDir()
	alice.ok("cosign", "generate-key-pair", "--output-key-prefix", filepath.Join(dir, "cosign"))
	alice.ok("cosign", "sign", "--key", filepath.Join(dir, "cosign.key"), "--tlog-upload=false", "--yes", "--registry-referrers-mode=oci-1-1",
		"--allow-http-registry", "--allow-insecure-registry", h+"/acme/hello@"+published)

	// Give bob push on acme/**: the running server picks it up.
	if err := os.WriteFile(policyPath, []byte(strings.Replace(authPolicy, "maintainers: [alice]", "maintainers: [alice, bob]", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := bob.run("mpak", "bundle", "push", h+"/acme/bobs", mcpbtest.Pack(t, "bobs", "1.0.0", ""))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bob still may not push to acme/ after the policy made him a maintainer:\n%s", out)
		}
		time.Sleep(200 * time.Millisecond)
	}

	audit := log.String()
	for _, want := range []string{
		`msg=audit outcome=allowed user=alice action=push repository=acme/hello`,
		`msg=audit outcome=challenged user=anonymous action=push repository=acme/other`,
		`msg=audit outcome=allowed user=bob action=push repository=acme/bobs`,
		`msg="token issued"`,
	} {
		if !strings.Contains(audit, want) {
			t.Errorf("the audit log has no line with %q", want)
		}
	}
	if strings.Contains(audit, "alice-pw") || strings.Contains(audit, "bob-pw") {
		t.Error("a password reached the log")
	}
}

// TestDeleteGrant: the policy's delete grant is the one way to take a
// published version down (a takedown): a user who may push cannot delete
// it, an administrator can, the catalog follows, the audit log names who
// and what, and even the administrator cannot delete a blob another
// version may share.
func TestDeleteGrant(t *testing.T) {
	n, _, log := authedMpakd(t)
	h := n.host
	alice := newCLI(t, h, "mpak", "crane")
	root := newCLI(t, h, "crane")
	alice.ok("mpak", "login", h, "-u", "alice", "-p", "alice-pw")
	alice.ok("crane", "auth", "login", h, "-u", "alice", "-p", "alice-pw")
	root.ok("crane", "auth", "login", h, "-u", "root", "-p", "root-pw")

	gone := alice.push(h+"/acme/gone", mcpbtest.Pack(t, "gone", "1.0.0", ""))
	alice.push(h+"/acme/gone", mcpbtest.Pack(t, "gone", "1.1.0", ""))
	alice.refused("crane", []string{"delete", "--insecure", h + "/acme/gone@" + gone.Digest}, "alice may not delete acme/gone")

	root.ok("crane", "delete", "--insecure", h+"/acme/gone@"+gone.Digest)
	root.refused("crane", []string{"manifest", "--insecure", h + "/acme/gone:1.0.0"}, "MANIFEST_UNKNOWN")
	if _, err := n.catalog.Version(context.Background(), "acme/gone", "1.0.0"); err == nil {
		t.Error("the catalog still lists acme/gone 1.0.0 after an administrator deleted it")
	}
	if _, err := n.catalog.Version(context.Background(), "acme/gone", "1.1.0"); err != nil {
		t.Errorf("acme/gone 1.1.0 went with 1.0.0: %v", err)
	}
	if !strings.Contains(log.String(), "msg=audit outcome=allowed user=root action=delete repository=acme/gone method=DELETE path=/v2/acme/gone/manifests/"+gone.Digest) {
		t.Errorf("no audit line for root's delete:\n%s", log.String())
	}

	req, _ := http.NewRequest(http.MethodDelete, "http://"+h+"/v2/acme/gone/blobs/"+gone.Builds[0].Bundle, nil)
	req.SetBasicAuth("root", "root-pw")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("root deleting a blob: %s, want 405 (blobs go with garbage collection)", resp.Status)
	}
}
