package compat

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/internal/testenv"
)

// withDocker adds the docker CLI to c, with a private config (c's
// DOCKER_CONFIG) and the classic builder, once the engine answers.
func withDocker(c *cli) *cli {
	c.t.Helper()
	bin := testenv.Tool(c.t, "docker is not installed: docker login and push against mpakd are UNTESTED here; install docker.io and start dockerd", "docker")
	if out, err := exec.Command(bin, "info").CombinedOutput(); err != nil {
		testenv.Missing(c.t, "no Docker engine answers: docker login and push against mpakd are UNTESTED here; start dockerd\n"+string(out))
	}
	c.bins["docker"] = bin
	c.env = append(c.env, "DOCKER_BUILDKIT=0")
	return c
}

// TestDockerLogin: the Docker engine logs in to mpakd through its token
// flow, pushes an image where the policy lets the user, is refused where
// it does not, and pulls anonymously what anyone may read. Each push is an
// audit line naming who, where and the digest stored.
func TestDockerLogin(t *testing.T) {
	n, _, log := authedMpakd(t)
	h := n.host
	bob := withDocker(newCLI(t, h))
	anon := withDocker(newCLI(t, h))

	// A FROM-scratch image with content of its own, so no earlier run's
	// layer makes the push a no-op.
	dir := t.TempDir()
	nonce := make([]byte, 16)
	rand.Read(nonce)
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte(hex.EncodeToString(nonce)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY hello.txt /hello.txt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mine, theirs := h+"/bob/img:latest", h+"/acme/img:latest"
	t.Cleanup(func() { exec.Command(bob.bins["docker"], "rmi", "-f", mine, theirs).Run() })

	bob.refused("docker", []string{"login", h, "-u", "bob", "-p", "wrong"}, "invalid username or password")
	bob.ok("docker", "login", h, "-u", "bob", "-p", "bob-pw")
	bob.ok("docker", "build", "-q", "-t", mine, dir)
	bob.ok("docker", "tag", mine, theirs)
	bob.ok("docker", "push", mine)
	bob.refused("docker", []string{"push", theirs}, "bob may not push acme/img")
	anon.refused("docker", []string{"push", mine}, "push access to bob/img needs credentials")

	bob.ok("docker", "rmi", mine, theirs)
	anon.ok("docker", "pull", mine)

	audit := log.String()
	var pushed string
	for _, line := range strings.Split(audit, "\n") {
		if strings.Contains(line, "msg=audit outcome=allowed user=bob action=push repository=bob/img method=PUT path=/v2/bob/img/manifests/latest") {
			pushed = line
		}
	}
	if !strings.Contains(pushed, "digest=sha256:") {
		t.Errorf("no audit line for bob's manifest push with its digest:\n%s", audit)
	}
	if !strings.Contains(audit, "outcome=challenged user=bob action=push repository=acme/img") &&
		!strings.Contains(audit, "outcome=refused user=bob action=push repository=acme/img") {
		t.Errorf("no audit line for bob's refused push to acme/img:\n%s", audit)
	}
}
