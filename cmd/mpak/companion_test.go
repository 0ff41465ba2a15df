package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/internal/cli"
	"github.com/mpak-oci/mpak/internal/cli/trustcmd"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// heavyPackages are the libraries of signing, verification, transparency
// logs, TUF and scanning: mpak run, pull and install must not load them.
var heavyPackages = []string{"sigstore", "cosign", "theupdateframework", "gitleaks", "google.golang.org/grpc",
	"go.opentelemetry.io", "tetratelabs/wazero", "CycloneDX"}

func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

func heavy(pkgs []string) []string {
	var out []string
	for _, p := range pkgs {
		for _, h := range heavyPackages {
			if strings.Contains(p, h) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// TestStartPathLinksNoSigningStack: mpak links none of the signing and
// scanning libraries (they cost its start-up ~10 ms and 30 MB); its
// companion has them, so the check itself sees them when they are there.
func TestStartPathLinksNoSigningStack(t *testing.T) {
	t.Parallel()
	if h := heavy(deps(t, "github.com/mpak-oci/mpak/cmd/mpak")); len(h) > 0 {
		t.Errorf("cmd/mpak links %d packages of the signing or scanning stacks, first %v: keep them in internal/cli/trustcmd", len(h), h[:min(5, len(h))])
	}
	if h := heavy(deps(t, "github.com/mpak-oci/mpak/cmd/mpak-trust")); len(h) < 50 {
		t.Errorf("cmd/mpak-trust links only %d packages of the signing and scanning stacks: %v", len(h), h)
	}
}

// TestCompanion runs the real binaries: mpak hands keygen, sign and
// verify to mpak-trust beside it, with their flags, output and exit
// codes; without the companion it says how to get it.
func TestCompanion(t *testing.T) {
	t.Parallel()
	bin, _ := binaries(t)
	host := registrytest.Distribution(t)
	e := isolate(t, host)
	e.publish(t, exampleDir(t, "1.0.0"), "hello")
	dir := t.TempDir()
	e["COSIGN_PASSWORD"] = "pw"
	mpakIn := func(bin string, args ...string) (string, int) {
		cmd := e.command(bin, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("mpak %s: %v", strings.Join(args, " "), err)
		}
		return string(out), cmd.ProcessState.ExitCode()
	}

	if out, code := mpakIn(bin, "--quiet", "bundle", "keygen"); code != 0 {
		t.Fatalf("mpak bundle keygen: exit %d: %s", code, out)
	}
	for _, f := range []string{"cosign.key", "cosign.pub"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("keygen through the companion wrote no %s: %v", f, err)
		}
	}
	if out, code := mpakIn(bin, "bundle", "sign", "--help"); code != 0 || !strings.Contains(out, "--format") {
		t.Errorf("mpak bundle sign --help: exit %d, want the companion's flags:\n%s", code, out)
	}
	if out, code := mpakIn(bin, "bundle", "verify", "@example/hello@1.0.0", "--key", "cosign.pub"); code != cli.ExitUnverified {
		t.Errorf("verify of an unsigned version: exit %d, want %d:\n%s", code, cli.ExitUnverified, out)
	}
	if out, code := mpakIn(bin, "bundle", "sign", "@example/hello@1.0.0", "--key", "cosign.key"); code != 0 {
		t.Fatalf("mpak bundle sign: exit %d: %s", code, out)
	}
	if out, code := mpakIn(bin, "bundle", "verify", "@example/hello@1.0.0", "--key", "cosign.pub"); code != 0 {
		t.Errorf("verify of the signed version: exit %d:\n%s", code, out)
	}
	// The policy check on mpak's own path agrees with the companion.
	if out, code := mpakIn(bin, "bundle", "pull", "@example/hello@1.0.0", "--require-signature", "--key", "cosign.pub", "-o", t.TempDir()); code != 0 {
		t.Errorf("pull --require-signature of the signed version: exit %d:\n%s", code, out)
	}

	alone := filepath.Join(t.TempDir(), "mpak")
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(alone, b, 0o755); err != nil {
		t.Fatal(err)
	}
	e["PATH"] = t.TempDir()
	out, code := mpakIn(alone, "bundle", "keygen")
	if code != cli.ExitError || !strings.Contains(out, "go install github.com/mpak-oci/mpak/cmd/mpak-trust") {
		t.Errorf("without the companion: exit %d, want %d and how to install it:\n%s", code, cli.ExitError, out)
	}
	if out, code := mpakIn(alone, "version"); code != 0 || !strings.HasPrefix(out, "mpak ") {
		t.Errorf("mpak version without the companion: exit %d: %s", code, out)
	}
}

// TestCompanionHelp: mpak's stand-ins for the trust commands say what the
// companion's commands say, so `mpak bundle --help` is not out of date.
func TestCompanionHelp(t *testing.T) {
	t.Parallel()
	help := func(trust func(*cli.App) []*cobra.Command) string {
		var out bytes.Buffer
		cli.Main(context.Background(), []string{"bundle", "--help"}, cli.Streams{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out},
			cli.Options{Trust: trust, Environ: []string{}})
		return out.String()
	}
	if stand, real := help(cli.Companion()), help(trustcmd.Commands); stand != real {
		t.Errorf("mpak bundle --help with the stand-ins:\n%s\nwith the companion's commands:\n%s", stand, real)
	}
}
