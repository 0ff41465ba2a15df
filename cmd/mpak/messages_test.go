package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/internal/cli"
	"github.com/mpak-oci/mpak/internal/cli/trustcmd"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// The messages a user meets when something is wrong name the problem and
// the fix, through the real CLI against a real registry.
func TestMessagesNameProblemAndFix(t *testing.T) {
	t.Parallel()
	reg := registrytest.Distribution(t)
	e := isolate(t, reg)

	t.Run("unknown repository", func(t *testing.T) {
		_, errOut, code := e.mpak(t, "bundle", "pull", "@example/nope")
		want := "mpak: listing versions of " + reg + "/example/nope: registry " + reg + " has no repository example/nope: " +
			"nothing has been pushed to it; check the name, and MPAK_REGISTRY (host[/namespace]) that @scope/name references resolve through\n"
		if code != cli.ExitError || errOut != want {
			t.Errorf("exit %d\n got: %s\nwant: %s", code, errOut, want)
		}
	})

	t.Run("registry down", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		down := ln.Addr().String()
		ln.Close()
		_, errOut, code := e.with("MPAK_REGISTRY", down).mpak(t, "bundle", "pull", "@example/hello")
		want := "connection refused: no registry is listening at " + down + "; start one there (`mpakd` serves a registry on 127.0.0.1:5000), " +
			"or point MPAK_REGISTRY=host[/namespace] at the registry you use\n"
		if code != cli.ExitError || !strings.HasSuffix(errOut, want) {
			t.Errorf("exit %d\n got: %s\nwant it to end: %s", code, errOut, want)
		}
	})

	e["COSIGN_PASSWORD"] = "s3cret"
	example := exampleDir(t, "1.0.0")
	dir := t.TempDir()
	e.ok(t, "bundle", "keygen", "--output-key-prefix", filepath.Join(dir, "cosign"))
	e.ok(t, "bundle", "keygen", "--output-key-prefix", filepath.Join(dir, "other"))
	e.ok(t, "bundle", "pack", example, "-o", filepath.Join(dir, "hello.mcpb"))
	push := decode[cli.PushOutput](t, e.ok(t, "bundle", "push", "@example/hello", filepath.Join(dir, "hello.mcpb"), "--json"))
	subject := reg + "/example/hello@" + push.Digest

	t.Run("unsigned", func(t *testing.T) {
		_, errOut, code := e.mpak(t, "bundle", "verify", "@example/hello", "--key", filepath.Join(dir, "other.pub"))
		if code != cli.ExitUnverified || !strings.Contains(errOut, ": nothing is attached to it, it is not signed (sign it with mpak bundle sign)\n") {
			t.Errorf("exit %d: %s", code, errOut)
		}
	})

	signed := decode[trustcmd.SignOutput](t, e.ok(t, "bundle", "sign", "@example/hello", "--key", filepath.Join(dir, "cosign.key"), "--format", "legacy,bundle", "--json"))
	signer := signed.Signed[0].KeyID

	t.Run("wrong key", func(t *testing.T) {
		_, errOut, code := e.mpak(t, "bundle", "verify", "@example/hello", "--key", filepath.Join(dir, "other.pub"))
		if code != cli.ExitUnverified {
			t.Errorf("exit %d, want %d", code, cli.ExitUnverified)
		}
		for _, want := range []string{
			"mpak: " + subject + ": no signature or attestation verifies with key sha256:",
			": it is signed, but not with this key: found ",
			"signature (sigstore-bundle) by key " + signer,
			"signature (cosign)",
			"; verify with the public key of whoever signed it\n",
		} {
			if !strings.Contains(errOut, want) {
				t.Errorf("verify with another key printed\n%s\nwant it to contain %q", errOut, want)
			}
		}
		if strings.Contains(errOut, "no signatures found") || strings.Contains(errOut, "no matching") {
			t.Errorf("verify with another key still says none exist:\n%s", errOut)
		}
	})

	t.Run("attestation without a source", func(t *testing.T) {
		// A SLSA provenance that names its builder but no source, as other
		// tools may write.
		pred := filepath.Join(dir, "provenance.json")
		if err := os.WriteFile(pred, []byte(`{"buildDefinition":{"buildType":"https://ci.example/type"},"runDetails":{"builder":{"id":"https://ci.example/b"}}}`), 0o644); err != nil {
			t.Fatal(err)
		}
		e.ok(t, "bundle", "attest", "@example/hello", "--key", filepath.Join(dir, "cosign.key"), "--predicate", pred, "--type", "https://slsa.dev/provenance/v1")
		out := e.ok(t, "bundle", "verify", "@example/hello", "--key", filepath.Join(dir, "cosign.pub"))
		if !strings.Contains(out, "predicate https://slsa.dev/provenance/v1, no source stated, builder https://ci.example/b") || strings.Contains(out, "source @") {
			t.Errorf("verify printed\n%s", out)
		}
	})
}
