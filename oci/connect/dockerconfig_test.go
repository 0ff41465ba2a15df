package connect_test

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/mpak-oci/mpak/oci/connect"
)

// writeDockerConfig writes dir/config.json with a plain-text credential
// for host.
func writeDockerConfig(t *testing.T, dir, host, user, pass string) {
	t.Helper()
	a := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"auths":{"`+host+`":{"auth":"`+a+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestDockerConfigOption: Options.DockerConfig names the directory the
// credentials are read from and written to, whatever $DOCKER_CONFIG says;
// without it, $DOCKER_CONFIG still applies. (Serial: it sets DOCKER_CONFIG.)
func TestDockerConfigOption(t *testing.T) {
	const host = "registry.example:5000"
	ctx := context.Background()
	processDir, ownDir := t.TempDir(), t.TempDir()
	writeDockerConfig(t, processDir, host, "decoy", "from-the-process")
	writeDockerConfig(t, ownDir, host, "alice", "s3cret")
	t.Setenv("DOCKER_CONFIG", processDir)

	store, err := connect.Options{DockerConfig: ownDir}.CredentialStore()
	if err != nil {
		t.Fatal(err)
	}
	if c, err := store.Get(ctx, host); err != nil || c.Username != "alice" || c.Password != "s3cret" {
		t.Errorf("DockerConfig credential for %s: %+v, %v; want alice's from %s", host, c, err, ownDir)
	}
	if err := store.Put(ctx, "other.example", auth.Credential{Username: "bob", Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(ownDir, "config.json")); !strings.Contains(string(b), "other.example") {
		t.Errorf("Put did not write DockerConfig's config.json:\n%s", b)
	}
	if b, _ := os.ReadFile(filepath.Join(processDir, "config.json")); strings.Contains(string(b), "other.example") {
		t.Errorf("Put wrote $DOCKER_CONFIG's config.json though DockerConfig was set:\n%s", b)
	}

	// Unset, the process's $DOCKER_CONFIG is read, as before.
	fallback, err := connect.Options{}.CredentialStore()
	if err != nil {
		t.Fatal(err)
	}
	if c, err := fallback.Get(ctx, host); err != nil || c.Username != "decoy" {
		t.Errorf("credential without DockerConfig: %+v, %v; want the one in $DOCKER_CONFIG", c, err)
	}

	// A broken config file is reported, naming the fix.
	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, "config.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := (connect.Options{DockerConfig: broken}).CredentialStore(); err == nil || !strings.Contains(err.Error(), "docker config") {
		t.Errorf("broken DockerConfig: %v, want an error naming the docker config", err)
	}
}
