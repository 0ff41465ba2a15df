package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/internal/cli"
	"github.com/mpak-oci/mpak/internal/cli/trustcmd"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// TestSignCommands: keygen, sign and verify from the CLI, on a registry
// without the referrers API.
func TestSignCommands(t *testing.T) {
	reg := registrytest.Distribution(t)
	e := isolate(t, reg)
	e["COSIGN_PASSWORD"] = "s3cret"
	example := exampleDir(t, "1.0.0") // before Chdir: it reads ../../hack
	dir := t.TempDir()
	t.Chdir(dir) // keygen writes into the working directory: this test stays serial

	e.ok(t, "bundle", "keygen")
	for _, f := range []string{"cosign.key", "cosign.pub"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	if info, _ := os.Stat("cosign.key"); info.Mode().Perm() != 0o600 {
		t.Errorf("cosign.key mode %v, want 0600", info.Mode().Perm())
	}
	if _, errOut, code := e.mpak(t, "bundle", "keygen"); code == 0 || !strings.Contains(errOut, "--force") {
		t.Errorf("keygen over existing keys: exit %d, %q; want a refusal naming --force", code, errOut)
	}
	e.ok(t, "bundle", "keygen", "--output-key-prefix", "other")

	file := filepath.Join(dir, "hello.mcpb")
	e.ok(t, "bundle", "pack", example, "-o", file)
	push := decode[cli.PushOutput](t, e.ok(t, "bundle", "push", "@example/hello", file, "--json"))

	if _, _, code := e.mpak(t, "bundle", "verify", "@example/hello@1.0.0", "--key", "cosign.pub"); code != cli.ExitUnverified {
		t.Errorf("verify of an unsigned version: exit %d, want %d", code, cli.ExitUnverified)
	}
	signed := decode[trustcmd.SignOutput](t, e.ok(t, "bundle", "sign", "@example/hello@1.0.0", "--key", "cosign.key", "--json"))
	if len(signed.Signed) != 1 || signed.Signed[0].Digest.String() != push.Digest {
		t.Fatalf("sign said %+v, want the index %s", signed, push.Digest)
	}
	// By default, cosign's .sig tag alone: what a plain `cosign verify`
	// of any version reads (compat/ runs it).
	if s := signed.Signed[0]; s.LegacyTag == "" || s.Bundle.Digest != "" || s.Referrer.Digest != "" {
		t.Errorf("sign wrote %+v, want the .sig tag alone", s)
	}
	v := decode[trustcmd.VerifyOutput](t, e.ok(t, "bundle", "verify", "@example/hello", "--key", "cosign.pub", "--json"))
	if len(v.Verified) != 1 || v.Verified[0].KeyID != signed.Signed[0].KeyID || v.Verified[0].Format != "cosign" {
		t.Errorf("verify said %+v, want the cosign signature by %s", v, signed.Signed[0].KeyID)
	}
	human := e.ok(t, "bundle", "verify", "@example/hello", "--key", "cosign.pub")
	if !strings.Contains(human, push.Digest+" signature (cosign) by key "+signed.Signed[0].KeyID) {
		t.Errorf("verify printed %q", human)
	}
	// The other formats, when asked for; verify reads them all.
	if _, errOut, code := e.mpak(t, "bundle", "sign", "@example/hello", "--key", "cosign.key", "--format", "cosign-v4"); code == 0 || !strings.Contains(errOut, "referrer") {
		t.Errorf("sign --format cosign-v4: exit %d, %q; want a refusal naming the formats", code, errOut)
	}
	if _, errOut, code := e.mpak(t, "bundle", "sign", "@example/hello", "--key", "cosign.key", "--legacy-only", "--format", "bundle"); code == 0 || !strings.Contains(errOut, "--legacy-only") {
		t.Errorf("sign --legacy-only --format bundle: exit %d, %q; want a refusal", code, errOut)
	}
	_, errOut, _ := e.mpak(t, "bundle", "sign", "@example/hello", "--key", "cosign.key", "--format", "referrer", "--format", "bundle")
	if !strings.Contains(errOut, "(cosign-oci-1.1, sigstore-bundle)") {
		t.Errorf("sign --format referrer --format bundle said %q, want both formats named", errOut)
	}
	v = decode[trustcmd.VerifyOutput](t, e.ok(t, "bundle", "verify", "@example/hello", "--key", "cosign.pub", "--json"))
	var got []string
	for _, r := range v.Verified {
		got = append(got, r.Format)
	}
	if strings.Join(got, ",") != "cosign,cosign-oci-1.1,sigstore-bundle" {
		t.Errorf("verify after signing in every format read %v", got)
	}
	// Now that the version has a sigstore bundle, cosign checks only
	// bundles: signing without one says so.
	_, errOut, _ = e.mpak(t, "bundle", "sign", "@example/hello", "--key", "cosign.key", "--legacy-only")
	if !strings.Contains(errOut, "warning: ") || !strings.Contains(errOut, "--format legacy,bundle") {
		t.Errorf("sign of a version with a bundle, without one: %q, want a warning about cosign", errOut)
	}
	_, errOut, code := e.mpak(t, "bundle", "verify", "@example/hello", "--key", "other.pub")
	if code != cli.ExitUnverified || !strings.Contains(errOut, "no signature or attestation verifies") {
		t.Errorf("verify with another key: exit %d, %q", code, errOut)
	}
	// --platforms also wants the platform manifests signed.
	if _, _, code := e.mpak(t, "bundle", "verify", "@example/hello", "--key", "cosign.pub", "--platforms"); code != cli.ExitUnverified {
		t.Errorf("verify --platforms with only the index signed: exit %d, want %d", code, cli.ExitUnverified)
	}
	e.ok(t, "bundle", "sign", "@example/hello", "--key", "cosign.key", "--platforms")
	e.ok(t, "bundle", "verify", "@example/hello", "--key", "cosign.pub", "--platforms")

	// SLSA provenance, from flags.
	if _, errOut, code := e.mpak(t, "bundle", "attest", "@example/hello", "--key", "cosign.key", "--slsa"); code == 0 || !strings.Contains(errOut, "--source-repo") {
		t.Errorf("attest --slsa without a source: exit %d, %q", code, errOut)
	}
	e.ok(t, "bundle", "attest", "@example/hello", "--key", "cosign.key", "--slsa",
		"--source-repo", "https://git.example/example/hello", "--source-revision", "c0ffee", "--builder-id", "https://ci.example/b")
	human = e.ok(t, "bundle", "verify", "@example/hello", "--key", "cosign.pub")
	if !strings.Contains(human, "attestation (sigstore-bundle)") || !strings.Contains(human, "source https://git.example/example/hello@c0ffee, builder https://ci.example/b") {
		t.Errorf("verify after attest printed %q", human)
	}

	e["COSIGN_PASSWORD"] = "wrong"
	if _, errOut, code := e.mpak(t, "bundle", "sign", "@example/hello", "--key", "cosign.key"); code == 0 || !strings.Contains(errOut, "COSIGN_PASSWORD") {
		t.Errorf("sign with a wrong password: exit %d, %q", code, errOut)
	}
	// Keyless is wired to Fulcio and Rekor, which this machine cannot
	// reach: the failures name what is missing.
	e["SIGSTORE_ID_TOKEN"] = ""
	if _, errOut, code := e.mpak(t, "bundle", "sign", "@example/hello", "--keyless"); code == 0 || !strings.Contains(errOut, "SIGSTORE_ID_TOKEN") {
		t.Errorf("sign --keyless without a token: exit %d, %q", code, errOut)
	}
	if _, errOut, code := e.mpak(t, "bundle", "sign", "@example/hello", "--keyless", "--identity-token", "eyJ.test.token",
		"--fulcio-url", "http://127.0.0.1:1", "--rekor-url", "http://127.0.0.1:1"); code == 0 || !strings.Contains(errOut, "Fulcio http://127.0.0.1:1") {
		t.Errorf("sign --keyless with Fulcio unreachable: exit %d, %q", code, errOut)
	}
	if _, errOut, code := e.mpak(t, "bundle", "verify", "@example/hello", "--identity", "dev@example.com"); code == 0 || !strings.Contains(errOut, "--issuer") {
		t.Errorf("verify --identity without --issuer: exit %d, %q", code, errOut)
	}
	if _, errOut, code := e.mpak(t, "bundle", "verify", "@example/hello", "--identity", "dev@example.com", "--issuer", "https://accounts.example",
		"--trusted-root", "missing.json"); code == 0 || !strings.Contains(errOut, "trusted root") {
		t.Errorf("verify keyless with a missing trusted root: exit %d, %q", code, errOut)
	}
}
