package compat

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mpak-oci/mpak/internal/testenv"
	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/sign"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// The cosign CLIs the signing tests run, pinned as .ci/run installs them.
// cosign v3's module builds a binary also named cosign, so it is installed
// under another name.
const (
	cosign2Module = "github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5"
	cosign3Module = "github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3"
)

func cosign3Tool(t *testing.T) string {
	t.Helper()
	return testenv.Tool(t, "cosign v3 is not installed as cosign3: what it reads of mpak's signatures is UNTESTED here; install it with\n"+
		"  (cd / && GOFLAGS= GOBIN=/tmp/cosign3 go install "+cosign3Module+") && mv /tmp/cosign3/cosign $(go env GOPATH)/bin/cosign3", "cosign3")
}

// emptyTrustedRoot is the trusted root the README tells cosign 2.6 users
// to pass for a key: it holds no authority, and a key needs none.
const emptyTrustedRoot = `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`

// readmeSigning is the README's "Signing and verifying" section.
func readmeSigning(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)\n### Signing and verifying\n(.*?)\n### `).FindSubmatch(b)
	if m == nil {
		t.Fatal(`README.md has no "### Signing and verifying" section`)
	}
	return string(m[1])
}

// readmeLine is a command line of the section's first sh block: the one
// starting with prefix, without its comment and optional [parts]. It
// returns the environment assignments before the command and the words.
func readmeLine(t *testing.T, section, prefix string) (env, words []string) {
	t.Helper()
	block := regexp.MustCompile("(?s)```sh\n(.*?)```").FindStringSubmatch(section)
	if block == nil {
		t.Fatal("the README's signing section has no sh block")
	}
	for _, line := range strings.Split(block[1], "\n") {
		line, _, _ = strings.Cut(line, "  #")
		line = regexp.MustCompile(`\s*\[[^\]]*\]`).ReplaceAllString(line, "")
		fields := strings.Fields(line)
		for len(fields) > 0 && regexp.MustCompile(`^[A-Z_]+=`).MatchString(fields[0]) {
			env, fields = append(env, fields[0]), fields[1:]
		}
		if strings.HasPrefix(strings.Join(fields, " "), prefix) {
			return env, fields
		}
	}
	t.Fatalf("the README's signing commands have no line starting %q:\n%s", prefix, block[1])
	return nil, nil
}

// userShell runs commands as a user would: in one directory, with a
// private HOME (no cosign or TUF cache), MPAK_REGISTRY set, and no network
// beyond loopback (any proxied request fails at once, and Go's clients
// never proxy localhost).
type userShell struct {
	t   *testing.T
	dir string
	env []string
}

func newUserShell(t *testing.T, registry string) *userShell {
	t.Helper()
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "COSIGN_"), strings.HasPrefix(k, "SIGSTORE_"), strings.HasPrefix(k, "TUF_"),
			strings.HasPrefix(k, "MPAK_"), strings.HasPrefix(k, "DOCKER_"), strings.HasSuffix(strings.ToUpper(k), "_PROXY"):
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "DOCKER_CONFIG="+filepath.Join(home, ".docker"),
		"MPAK_CACHE="+filepath.Join(home, "cache"), "MPAK_CONFIG="+filepath.Join(home, "mpak.json"), "MPAK_REGISTRY="+registry,
		"TUF_ROOT="+filepath.Join(home, "tuf"),
		"HTTPS_PROXY=http://127.0.0.1:1", "HTTP_PROXY=http://127.0.0.1:1", "NO_PROXY=localhost,127.0.0.1")
	return &userShell{t: t, dir: t.TempDir(), env: env}
}

func (u *userShell) run(bin string, env []string, args ...string) (string, error) {
	u.t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = u.dir
	cmd.Env = append(append([]string{}, u.env...), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (u *userShell) ok(bin string, env []string, args ...string) string {
	u.t.Helper()
	out, err := u.run(bin, env, args...)
	if err != nil {
		u.t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return out
}

// TestReadmeSigning: the README's signing lines, as written, on a registry
// at localhost: mpak keygen and sign with defaults, then the plain
// `cosign verify` passes with cosign v2.6.5 and v3 with no network (a
// sigstore bundle referrer would make cosign 2.6 demand a trusted root it
// cannot fetch). Each other --format passes with the command the README's
// table gives for it, and mpak verifies what the cosign CLIs sign.
func TestReadmeSigning(t *testing.T) {
	cosign2 := tool(t, "cosign", cosign2Module)
	cosign3 := cosign3Tool(t)
	mpak := testenv.Mpak(t)
	section := readmeSigning(t)

	for _, r := range []struct {
		name  string
		start func(testing.TB) string
	}{
		{"fallback-tag", registrytest.Distribution},
		// Harbor-like: a faithful referrers API (go-containerregistry's reports
		// artifactType from the config media type, which hides cosign v3's bundle).
		{"referrers-api", func(t testing.TB) string { return registrytest.NewHarborLike(t).Host }},
	} {
		t.Run(r.name, func(t *testing.T) {
			host := r.start(t)
			local := "localhost" + host[strings.LastIndex(host, ":"):]
			u := newUserShell(t, local)
			publishVersion := func(version string) string {
				t.Helper()
				file := mcpbtest.Pack(t, "weather", version, "")
				var p struct{ Digest string }
				out := u.ok(mpak, nil, "bundle", "push", "@acme/weather", file, "--json")
				if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &p); err != nil || p.Digest == "" {
					t.Fatalf("mpak bundle push --json: %v\n%s", err, out)
				}
				return p.Digest
			}
			password := []string{"COSIGN_PASSWORD=correct horse"}

			// The README's lines, in order.
			env, keygen := readmeLine(t, section, "mpak bundle keygen")
			if len(env) != 1 || env[0] != "COSIGN_PASSWORD=…" {
				t.Fatalf("the README's keygen line sets %v, want COSIGN_PASSWORD=…", env)
			}
			u.ok(mpak, password, keygen[1:]...)
			_, signLine := readmeLine(t, section, "mpak bundle sign @acme/weather@1.2.0")
			_, verifyLine := readmeLine(t, section, "mpak bundle verify @acme/weather@1.2.0")
			_, cosignLine := readmeLine(t, section, "cosign verify")
			if want := "cosign verify --key cosign.pub --insecure-ignore-tlog=true localhost:5000/acme/weather@sha256:…"; strings.Join(cosignLine, " ") != want {
				t.Fatalf("the README's cosign line is %q, want the plain %q", strings.Join(cosignLine, " "), want)
			}
			image := func(dgst string) string {
				return strings.NewReplacer("localhost:5000", local, "sha256:…", dgst).Replace(cosignLine[len(cosignLine)-1])
			}
			cosignVerify := func(bin, dgst string, extra ...string) (string, error) {
				args := append(append(append([]string{}, cosignLine[1:len(cosignLine)-1]...), extra...), image(dgst))
				return u.run(bin, nil, args...)
			}

			digest := publishVersion("1.2.0")
			u.ok(mpak, password, signLine[1:]...)
			if out := u.ok(mpak, nil, verifyLine[1:]...); !strings.Contains(out, digest+" signature (cosign) by key") {
				t.Errorf("%s printed %q, want the cosign signature of %s", strings.Join(verifyLine, " "), out, digest)
			}
			for _, bin := range []string{cosign2, cosign3} {
				if out, err := cosignVerify(bin, digest); err != nil {
					t.Errorf("the README's line with %s failed on a version signed with mpak's defaults: %v\n%s", filepath.Base(bin), err, out)
				}
			}
			// Another key's public half fails: the check is real.
			u.ok(mpak, []string{"COSIGN_PASSWORD=x"}, "bundle", "keygen", "--output-key-prefix", "other")
			if out, err := u.run(cosign2, nil, "verify", "--key", "other.pub", "--insecure-ignore-tlog=true", image(digest)); err == nil {
				t.Errorf("cosign verify with another key passed:\n%s", out)
			}

			// The other formats, each with the command the README's table
			// gives for it.
			if err := os.WriteFile(filepath.Join(u.dir, "trusted_root.json"), []byte(emptyTrustedRoot), 0o644); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(section, emptyTrustedRoot) {
				t.Errorf("the README does not show the empty trusted root %s", emptyTrustedRoot)
			}
			for i, c := range []struct {
				format, row      string   // row: the README's table row that tells how to verify it
				cosign2, cosign3 []string // added to the plain command
			}{
				{"referrer", "referrer", []string{"--experimental-oci11"}, []string{"--experimental-oci11"}},
				{"bundle", "bundle", []string{"--trusted-root", "trusted_root.json"}, nil},
				{"legacy,bundle", "bundle", []string{"--trusted-root", "trusted_root.json"}, nil},
			} {
				t.Run(c.format, func(t *testing.T) {
					row := regexp.MustCompile("\n\\| `" + c.row + "`[^\n]*").FindString(section)
					for _, flags := range [][]string{c.cosign2, c.cosign3} {
						if len(flags) > 0 && !strings.Contains(row, strings.Join(flags, " ")) {
							t.Errorf("the README's row for --format %s does not say %q:%s", c.format, strings.Join(flags, " "), row)
						}
					}
					dgst := publishVersion(fmt.Sprintf("1.2.%d", i+1))
					u.ok(mpak, password, "bundle", "sign", "@acme/weather@"+dgst, "--key", "cosign.key", "--format", c.format)
					for bin, extra := range map[string][]string{cosign2: c.cosign2, cosign3: c.cosign3} {
						if out, err := cosignVerify(bin, dgst, extra...); err != nil {
							t.Errorf("%s verify %s of --format %s: %v\n%s", filepath.Base(bin), strings.Join(extra, " "), c.format, err, out)
						}
					}
				})
			}

			t.Run("scan verdict", func(t *testing.T) {
				verdictCase(t, u, mpak, host, publishVersion("1.3.0"), cosignVerify, cosign2, cosign3)
			})

			// mpak verifies what the cosign CLIs sign, in each of their formats.
			for i, c := range []struct {
				bin    string
				args   []string
				format string
			}{
				{cosign2, nil, sign.FormatCosignTag},
				{cosign2, []string{"--registry-referrers-mode=oci-1-1"}, sign.FormatCosignReferrer},
				{cosign3, []string{"--use-signing-config=false"}, sign.FormatSigstoreBundle},
			} {
				dgst := publishVersion(fmt.Sprintf("1.4.%d", i))
				args := append([]string{"sign", "--key", "cosign.key", "--tlog-upload=false", "--yes"}, c.args...)
				// cosign 2 keeps --registry-referrers-mode behind COSIGN_EXPERIMENTAL.
				u.ok(c.bin, append(password, "COSIGN_EXPERIMENTAL=1"), append(args, image(dgst))...)
				var v struct{ Verified []sign.Result }
				out, err := u.run(mpak, nil, "bundle", "verify", "@acme/weather@"+dgst, "--key", "cosign.pub", "--json")
				if err == nil {
					err = json.Unmarshal([]byte(out), &v)
				}
				if err != nil || len(v.Verified) != 1 || v.Verified[0].Format != c.format {
					t.Errorf("mpak bundle verify of %s sign %v: %+v (%v), want one %s signature\n%s", filepath.Base(c.bin), c.args, v, err, c.format, out)
				}
			}
		})
	}
}

// verdictCase: a scan verdict signed by a scanner's key (scanlevel's
// wire format: a sigstore bundle in a referrer typed
// mediatypes.ScanVerdict) is on the version before the publisher signs it
// with the defaults. cosign 2.6 and 3 see no sigstore bundle and verify the
// publisher's .sig with the README's plain command, and the verdict still
// verifies with the scanner's key.
func verdictCase(t *testing.T, u *userShell, mpak, host, dgst string, cosignVerify func(bin, dgst string, extra ...string) (string, error), cosign2, cosign3 string) {
	t.Helper()
	ctx := context.Background()
	keys, _ := sign.GenerateKeyPair(nil)
	scanner, _ := sign.LoadPrivateKey(keys.Private, nil)
	scannerPub, _ := sign.LoadPublicKey(keys.Public)
	rp := repo(t, host, "acme/weather")
	root, err := rp.Resolve(ctx, dgst)
	if err != nil {
		t.Fatal(err)
	}
	root = ocispec.Descriptor{MediaType: root.MediaType, Digest: root.Digest, Size: root.Size}
	d, _ := name.NewDigest(host + "/acme/weather@" + dgst)
	verdict := map[string]any{"level": 2, "rules": 1}
	if _, err := sign.AttachStatement(ctx, rp, root, mediatypes.ScanPredicate, verdict, scanner,
		sign.StatementOptions{Name: d.Context().String(), ArtifactType: mediatypes.ScanVerdict}); err != nil {
		t.Fatal(err)
	}
	password := []string{"COSIGN_PASSWORD=correct horse"}
	u.ok(mpak, password, "bundle", "sign", "@acme/weather@"+dgst, "--key", "cosign.key")
	for _, bin := range []string{cosign2, cosign3} {
		if out, err := cosignVerify(bin, dgst); err != nil {
			t.Errorf("%s verify, the README's plain command, with a scanner's verdict attached: %v\n%s", filepath.Base(bin), err, out)
		}
	}
	sts, problems, err := sign.VerifyStatements(ctx, rp, root, mediatypes.ScanVerdict, mediatypes.ScanPredicate, []signature.Verifier{scannerPub})
	if err != nil || len(sts) != 1 {
		t.Errorf("the scanner's verdict after signing: %d verified (%v, %v), want 1", len(sts), err, problems)
	}
}
