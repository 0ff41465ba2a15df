// Package conformance runs the OCI distribution-spec conformance suite
// against plain distribution (as mpakd embeds it) and against mpakd, in its
// embedded and upstream modes, and holds mpakd to this: it fails nothing
// plain distribution passes.
package conformance

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mpak-oci/mpak/internal/testenv"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/registrytest"
	"github.com/mpak-oci/mpak/registry/server"
)

// module is the suite, pinned; .ci/run installs it as oci-conformance.
const module = "github.com/opencontainers/distribution-spec/conformance@v0.0.0-20260831232431-97274622c111"

// expectedFailures are the suite's data sets plain distribution v3 fails
// too, turned off (by their OCI_DATA_* switch) so that the API results are
// not marked failed by them: sha512 digests and non-distributable layers.
var expectedFailures = map[string]string{
	"Blobs sha512":             "OCI_DATA_SHA512",
	"Digest Algorithm sha512":  "OCI_DATA_SHA512",
	"Non-distributable Layers": "OCI_DATA_NONDISTRIBUTABLE",
}

// mpakdSkips are results mpakd may skip where distribution passes: mpakd
// does not delete blobs (a published version's must stay pullable) and
// answers 405 UNSUPPORTED, as the spec lets a registry do, after which the
// suite skips the blob delete checks.
var mpakdSkips = map[string]bool{"Blob delete": true, "Blob delete atomic": true}

// results is what the suite writes to results.yaml.
type results struct {
	APIs map[string]string `yaml:"apis"`
	Data map[string]string `yaml:"data"`
}

func TestConformance(t *testing.T) {
	suite := testenv.Tool(t, "the OCI conformance suite is not installed: mpakd's conformance is UNTESTED here; install it with\n"+
		"  (cd / && GOBIN=/tmp/oci GOFLAGS= go install "+module+") && mv /tmp/oci/conformance $(go env GOPATH)/bin/oci-conformance",
		"oci-conformance")
	plain := registrytest.Distribution(t)
	want := run(t, suite, plain, "distribution")
	for name, host := range map[string]string{
		"embedded": mpakd(t, server.Options{}),
		"upstream": mpakd(t, server.Options{Upstream: &url.URL{Scheme: "http", Host: registrytest.Distribution(t)}}),
	} {
		t.Run(name, func(t *testing.T) {
			got := run(t, suite, host, "mpakd-"+name)
			compare(t, "API", want.APIs, got.APIs)
			compare(t, "data", want.Data, got.Data)
		})
	}
}

// compare fails for every test distribution passes and mpakd does not.
func compare(t *testing.T, kind string, want, got map[string]string) {
	t.Helper()
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	passed := 0
	for _, name := range names {
		if want[name] != "Pass" {
			continue
		}
		passed++
		if g := got[name]; g != "Pass" && !(g == "Skip" && mpakdSkips[name]) {
			t.Errorf("%s test %q: distribution passes, mpakd %s (see the report under the test's results directory)", kind, name, g)
		}
	}
	if passed == 0 {
		t.Errorf("distribution passed no %s test: the suite did not run", kind)
	}
}

// run runs the suite against host and reads its results.
func run(t *testing.T, suite, host, label string) results {
	t.Helper()
	dir := filepath.Join(t.TempDir(), label)
	cmd := exec.Command(suite)
	cmd.Env = append(os.Environ(), "OCI_REGISTRY="+host, "OCI_TLS=disabled", "OCI_RESULTS_DIR="+dir, "OCI_LOG=error",
		"OCI_REPO1=conformance/repo1", "OCI_REPO2=conformance/repo2")
	for _, env := range expectedFailures {
		cmd.Env = append(cmd.Env, env+"=false")
	}
	out, err := cmd.CombinedOutput()
	// The suite exits 1 when any test fails; what failed is in the results.
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("running the conformance suite against %s: %v\n%s", label, err, out)
	}
	b, rerr := os.ReadFile(filepath.Join(dir, "results.yaml"))
	if rerr != nil {
		t.Fatalf("conformance suite against %s wrote no results (%v): %v\n%s", label, err, rerr, out)
	}
	var r results
	if err := yaml.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s/results.yaml: %v", dir, err)
	}
	for name := range expectedFailures {
		if r.Data[name] != "Disabled" {
			t.Errorf("%s: %q is %q, want it turned off as an expected failure", label, name, r.Data[name])
		}
	}
	return r
}

// mpakd serves opts with a SQLite catalog on a loopback port.
func mpakd(t *testing.T, opts server.Options) string {
	t.Helper()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	opts.Store, opts.DataDir, opts.Logger = store, t.TempDir(), slog.New(slog.DiscardHandler)
	srv, err := server.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
		srv.Shutdown(ctx)
	})
	return ln.Addr().String()
}
