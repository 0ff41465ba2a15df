package proxy_test

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/auth"
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem" // registers "filesystem"
	"github.com/sirupsen/logrus"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"
	orasauth "oras.land/oras-go/v2/registry/remote/auth"

	"github.com/mpak-oci/mpak/registry/proxy"
)

// The upstream's one account, and the realm of its Basic challenge.
const (
	user     = "alice"
	password = "correct horse battery staple"
	realm    = "mpak-upstream"
)

// basicAuth is the access controller the upstream registries of these tests
// run under: distribution's htpasswd controller, minus the file. htpasswd
// itself cannot be used here: it imports golang.org/x/crypto/bcrypt, which
// this module does not require. Like htpasswd it grants everything to the
// one valid Basic credential and challenges anything else with
// `Basic realm="…"`, so what clients see through the proxy is what an
// htpasswd-protected distribution sends.
type basicAuth struct{ realm string }

func init() {
	err := auth.Register("mpaktest-basic", func(opts map[string]any) (auth.AccessController, error) {
		r, _ := opts["realm"].(string)
		return basicAuth{realm: r}, nil
	})
	if err != nil {
		panic(err)
	}
}

func (a basicAuth) Authorized(r *http.Request, _ ...auth.Access) (*auth.Grant, error) {
	u, p, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(user))&subtle.ConstantTimeCompare([]byte(p), []byte(password)) != 1 {
		return nil, challenge(a)
	}
	return &auth.Grant{User: auth.UserInfo{Name: u}}, nil
}

type challenge struct{ realm string }

func (c challenge) Error() string { return "basic authentication required for realm " + c.realm }
func (c challenge) SetHeaders(_ *http.Request, w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", c.realm))
}

// upstream starts a password-protected distribution/v3 storing on disk (so
// that blobs do not sit in the heap the streaming test measures). With
// absoluteURLs it is configured with http.host, as registries behind their
// own front end are: it then builds upload Locations from its own address
// and ignores X-Forwarded-Host, so the proxy has to rewrite them.
func upstream(t testing.TB, absoluteURLs bool) *httptest.Server {
	t.Helper()
	logrus.SetLevel(logrus.FatalLevel) // distribution logs every 401 and 404
	srv := httptest.NewUnstartedServer(nil)
	yaml := "version: 0.1\n" +
		"log:\n  level: error\n" +
		"storage:\n  filesystem:\n    rootdirectory: " + fmt.Sprintf("%q", t.TempDir()) + "\n  delete:\n    enabled: true\n" +
		"http:\n  secret: test-secret\n"
	if absoluteURLs {
		yaml += "  host: http://" + srv.Listener.Addr().String() + "\n"
	}
	yaml += "auth:\n  mpaktest-basic:\n    realm: " + realm + "\n"
	cfg, err := configuration.Parse(strings.NewReader(yaml))
	if err != nil {
		t.Fatal(err)
	}
	app := handlers.NewApp(context.Background(), cfg)
	srv.Config.Handler = app
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		_ = app.Shutdown()
	})
	return srv
}

// startProxy serves New(upstream) wrapped by wrap (may be nil).
func startProxy(t testing.TB, up *httptest.Server, wrap func(http.Handler) http.Handler) *httptest.Server {
	t.Helper()
	u, err := url.Parse(up.URL)
	if err != nil {
		t.Fatal(err)
	}
	h, err := proxy.New(u, proxy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func host(srv *httptest.Server) string { return strings.TrimPrefix(srv.URL, "http://") }

// repository opens name on srv as oras does, logged in to srv's host only:
// requests that escaped the proxy to the upstream would carry no
// credentials and fail.
func repository(t testing.TB, srv *httptest.Server, name string) *remote.Repository {
	t.Helper()
	repo, err := remote.NewRepository(host(srv) + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	repo.Client = &orasauth.Client{
		Client:     http.DefaultClient,
		Credential: orasauth.StaticCredential(host(srv), orasauth.Credential{Username: user, Password: password}),
	}
	return repo
}

// upstreamRepos opens repositories straight on the upstream, as mpakd's
// indexer does in upstream mode.
type upstreamRepos struct {
	t   testing.TB
	srv *httptest.Server
}

func (u upstreamRepos) Repository(_ context.Context, name string) (registry.Repository, error) {
	return repository(u.t, u.srv, name), nil
}
