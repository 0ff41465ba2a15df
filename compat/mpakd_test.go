package compat

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/internal/testenv"
	"github.com/mpak-oci/mpak/registry/catalog/sqlite"
	"github.com/mpak-oci/mpak/registry/server"
)

// node is an mpakd serving on loopback, with a log of the requests
// clients sent it.
type node struct {
	host    string
	srv     *server.Server
	catalog *catalogapi.Client
	log     *requestLog
}

// startMpakd serves opts on a fresh loopback port; a nil Store gets a
// SQLite catalog of its own.
func startMpakd(t *testing.T, opts server.Options) *node {
	t.Helper()
	if opts.Store == nil {
		store, err := sqlite.Open(filepath.Join(t.TempDir(), "index.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		opts.Store = store
	}
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	srv, err := server.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n := &node{host: ln.Addr().String(), srv: srv, log: &requestLog{}}
	n.catalog = &catalogapi.Client{BaseURL: "http://" + n.host}
	hs := &http.Server{Handler: n.log.wrap(srv.Handler()), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
		srv.Shutdown(ctx)
	})
	return n
}

// requestLog records what clients asked of mpakd, and the OCI-Subject
// header of its answers.
type requestLog struct {
	mu      sync.Mutex
	entries []string // "METHOD path status [OCI-Subject]"
}

func (l *requestLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		l.mu.Lock()
		defer l.mu.Unlock()
		e := r.Method + " " + r.URL.Path + " " + http.StatusText(rec.code)
		if s := w.Header().Get("OCI-Subject"); s != "" {
			e += " OCI-Subject=" + s
		}
		l.entries = append(l.entries, e)
	})
}

// matching is the entries containing every part.
func (l *requestLog) matching(parts ...string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
next:
	for _, e := range l.entries {
		for _, p := range parts {
			if !strings.Contains(e, p) {
				continue next
			}
		}
		out = append(out, e)
	}
	return out
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// cli runs the real command-line tools with a private environment: no
// credentials, caches or settings of the machine's user.
type cli struct {
	t   *testing.T
	env []string
	// bins by name: mpak (built from this tree), oras, crane, regctl, cosign.
	bins map[string]string
}

func newCLI(t *testing.T, registry string, tools ...string) *cli {
	t.Helper()
	home := t.TempDir()
	c := &cli{t: t, bins: map[string]string{}, env: append(os.Environ(),
		"HOME="+home, "DOCKER_CONFIG="+filepath.Join(home, ".docker"), "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"MPAK_CACHE="+filepath.Join(home, "cache"), "MPAK_CONFIG="+filepath.Join(home, "mpak.json"),
		"MPAK_REGISTRY="+registry, "COSIGN_PASSWORD=", "TUF_ROOT="+filepath.Join(home, "tuf"), "COSIGN_EXPERIMENTAL=1")}
	modules := map[string]string{
		"oras":   "oras.land/oras/cmd/oras@v1.3.0",
		"crane":  "github.com/google/go-containerregistry/cmd/crane@v0.20.7",
		"regctl": "github.com/regclient/regclient/cmd/regctl@v0.11.7",
		"cosign": "github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5",
	}
	for _, name := range tools {
		if name == "mpak" {
			c.bins[name] = testenv.Mpak(t)
			continue
		}
		c.bins[name] = tool(t, name, modules[name])
	}
	if c.bins["regctl"] != "" {
		c.ok("regctl", "registry", "set", "--tls", "disabled", registry)
	}
	return c
}

// on is c reporting to t (a subtest's).
func (c *cli) on(t *testing.T) *cli {
	cc := *c
	cc.t = t
	return &cc
}

// run runs a tool and returns its combined output and error.
func (c *cli) run(name string, args ...string) (string, error) {
	c.t.Helper()
	cmd := exec.Command(c.bins[name], args...)
	cmd.Env = c.env
	cmd.Dir = c.t.TempDir()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// ok runs a tool that must succeed.
func (c *cli) ok(name string, args ...string) string {
	c.t.Helper()
	out, err := c.run(name, args...)
	if err != nil {
		c.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// refused runs a tool that must fail, saying every one of says.
func (c *cli) refused(name string, args []string, says ...string) string {
	c.t.Helper()
	out, err := c.run(name, args...)
	if err == nil {
		c.t.Fatalf("%s %s succeeded, want it refused:\n%s", name, strings.Join(args, " "), out)
	}
	for _, s := range says {
		if !strings.Contains(out, s) {
			c.t.Errorf("%s %s failed without saying %q:\n%s", name, strings.Join(args, " "), s, out)
		}
	}
	return out
}

// pushed is what `mpak bundle push --json` reports.
type pushed struct {
	Digest string `json:"digest"`
	Builds []struct {
		Bundle string `json:"bundle"`
	} `json:"builds"`
}

func (c *cli) push(ref, file string) pushed {
	c.t.Helper()
	var p pushed
	out := c.ok("mpak", "bundle", "push", "--json", ref, file)
	if err := json.NewDecoder(bytes.NewReader([]byte(out[strings.Index(out, "{"):]))).Decode(&p); err != nil {
		c.t.Fatalf("mpak bundle push --json: %v\n%s", err, out)
	}
	return p
}
