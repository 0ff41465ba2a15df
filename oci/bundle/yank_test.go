package bundle_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/oci/referrer"
	"github.com/mpak-oci/mpak/oci/resolve"
	"github.com/mpak-oci/mpak/oci/yank"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// yankRegistries: with the referrers API, and without (fallback tags).
var yankRegistries = []registryCase{
	{"fallback-tag", registrytest.Distribution},
	{"referrers-api", func(t testing.TB) string { return registrytest.GGCR(t, true) }},
}

// publish pushes each version of acme/yanks and returns their roots.
func publish(t *testing.T, repo *remote.Repository, versions ...string) map[string]ocispec.Descriptor {
	t.Helper()
	roots := map[string]ocispec.Descriptor{}
	for _, v := range versions {
		plan, err := bundle.Prepare([]bundle.File{{Path: writeBundle(t, "yanks", v, v)}}, bundle.PrepareOptions{})
		must(t, err)
		_, err = bundle.Push(ctx, repo, plan, v, bundle.PushOptions{})
		must(t, err)
		roots[v] = plan.Index
	}
	return roots
}

// query resolves "@acme/yanks[@q]" with a fresh client.
func query(t *testing.T, host, q string) (bundle.Resolution, error) {
	t.Helper()
	s := "@acme/yanks"
	if q != "" {
		s += "@" + q
	}
	r, err := ref.Parse(s, ref.Defaults{Registry: host})
	must(t, err)
	return bundle.ResolveQuery(ctx, repository(t, host, "acme/yanks"), r)
}

// expect resolves q and checks the tag and whether a yank is reported.
func expect(t *testing.T, host, q, tag string, yanked bool) bundle.Resolution {
	t.Helper()
	res, err := query(t, host, q)
	if err != nil {
		t.Fatalf("resolving %q: %v", q, err)
	}
	if res.Reference != tag || (res.Yanked != nil) != yanked {
		t.Fatalf("resolving %q = %s (yanked %+v), want %s (yanked %v)", q, res.Reference, res.Yanked, tag, yanked)
	}
	return res
}

func mark(t *testing.T, repo *remote.Repository, root ocispec.Descriptor, yanked bool, reason string) {
	t.Helper()
	if _, err := yank.Mark(ctx, repo, root, yanked, reason, yank.Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestResolveSkipsYanked(t *testing.T) {
	t.Parallel()
	for _, rc := range yankRegistries {
		t.Run(rc.name, func(t *testing.T) {
			host := rc.start(t)
			repo := repository(t, host, "acme/yanks")
			roots := publish(t, repo, "1.0.0", "1.1.0", "1.2.0", "2.0.0-rc.1")
			expect(t, host, "", "1.2.0", false)

			mark(t, repo, roots["1.2.0"], true, "leaks the API key; use 1.1.0")
			expect(t, host, "", "1.1.0", false)
			expect(t, host, "latest", "1.1.0", false)
			expect(t, host, "^1.1", "1.1.0", false)
			if _, err := query(t, host, "~1.2.0"); !errors.As(err, new(*bundle.YankedError)) {
				t.Errorf("~1.2.0 with 1.2.0 yanked: %v, want a *YankedError", err)
			}

			// An exact pin still resolves, and says so.
			res := expect(t, host, "1.2.0", "1.2.0", true)
			if w := res.Warning(); w != "@acme/yanks@1.2.0 is yanked: leaks the API key; use 1.1.0" {
				t.Errorf("warning %q", w)
			}
			r, _ := ref.Parse("@acme/yanks@1.2.0", ref.Defaults{Registry: host})
			v, err := bundle.ResolveVersion(ctx, repo, r)
			if err != nil || v.Yanked == nil || !strings.Contains(v.Warning, "is yanked") {
				t.Fatalf("ResolveVersion of a yanked pin: %+v, %v", v, err)
			}

			// Un-yank restores it.
			mark(t, repo, roots["1.2.0"], false, "")
			expect(t, host, "", "1.2.0", false)
			expect(t, host, "1.2.0", "1.2.0", false)
		})
	}
}

// TestResolveAllYanked: when every match is yanked the error names them and
// says how to get one anyway.
func TestResolveAllYanked(t *testing.T) {
	t.Parallel()
	for _, rc := range yankRegistries {
		t.Run(rc.name, func(t *testing.T) {
			host := rc.start(t)
			repo := repository(t, host, "acme/yanks")
			roots := publish(t, repo, "1.0.0", "1.1.0", "2.0.0")
			mark(t, repo, roots["1.1.0"], true, "bad")
			mark(t, repo, roots["1.0.0"], true, "bad")
			expect(t, host, "", "2.0.0", false)

			_, err := query(t, host, "^1")
			var ye *bundle.YankedError
			var nm *resolve.NoMatchError
			if !errors.As(err, &ye) || !errors.As(err, &nm) {
				t.Fatalf("every match yanked: %v, want a *YankedError wrapping a *NoMatchError", err)
			}
			for _, want := range []string{`"^1"`, "is yanked (1.1.0, 1.0.0)", "pin one exactly", "@acme/yanks@1.1.0", "available: 2.0.0"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			mark(t, repo, roots["2.0.0"], true, "bad")
			if _, err := query(t, host, ""); !errors.As(err, &ye) || !strings.Contains(err.Error(), `"latest"`) || !strings.Contains(err.Error(), "is yanked (2.0.0, 1.1.0, 1.0.0)") {
				t.Fatalf("latest with everything yanked: %v", err)
			}
		})
	}
}

// TestResolveRecordOrder: the record with the newest created decides,
// whatever the push order; on a tie, yanked.
func TestResolveRecordOrder(t *testing.T) {
	t.Parallel()
	for _, rc := range yankRegistries {
		t.Run(rc.name, func(t *testing.T) {
			host := rc.start(t)
			repo := repository(t, host, "acme/yanks")
			roots := publish(t, repo, "1.0.0", "1.1.0")
			t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
			record := func(root ocispec.Descriptor, yanked string, at time.Time) {
				t.Helper()
				_, err := referrer.Attach(ctx, repo, root, referrer.Artifact{ArtifactType: mediatypes.Yank,
					Blobs:       []referrer.Blob{{MediaType: mediatypes.Yank, Data: []byte(`{"yanked":` + yanked + `}`)}},
					Annotations: map[string]string{mediatypes.AnnotationYanked: yanked, ocispec.AnnotationCreated: at.Format(time.RFC3339)}},
					referrer.Options{})
				must(t, err)
			}
			// Pushed last but older: the un-yank stands.
			record(roots["1.1.0"], "false", t0.Add(time.Hour))
			record(roots["1.1.0"], "true", t0)
			expect(t, host, "", "1.1.0", false)
			// A yank at the same instant as the un-yank wins.
			record(roots["1.1.0"], "true", t0.Add(time.Hour))
			expect(t, host, "", "1.0.0", false)
			// A record that does not parse is ignored.
			record(roots["1.0.0"], "maybe", t0.Add(2*time.Hour))
			expect(t, host, "", "1.0.0", false)
		})
	}
}

// pinsOnly fails the test if resolution asks for referrers or tags.
type pinsOnly struct {
	*remote.Repository
	t *testing.T
}

func (p pinsOnly) Referrers(context.Context, ocispec.Descriptor, string, func([]ocispec.Descriptor) error) error {
	p.t.Error("a digest pin listed referrers")
	return nil
}

func (p pinsOnly) Tags(context.Context, string, func([]string) error) error {
	p.t.Error("a digest pin listed tags")
	return nil
}

func (p pinsOnly) Resolve(ctx context.Context, reference string) (ocispec.Descriptor, error) {
	p.t.Error("a digest pin was resolved")
	return p.Repository.Resolve(ctx, reference)
}

// TestResolveDigestPinOfYanked: a digest pin costs no request and reports
// nothing, yanked or not.
func TestResolveDigestPinOfYanked(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	repo := repository(t, host, "acme/yanks")
	roots := publish(t, repo, "1.0.0")
	mark(t, repo, roots["1.0.0"], true, "bad")
	r, _ := ref.Parse("@acme/yanks@"+roots["1.0.0"].Digest.String(), ref.Defaults{Registry: host})
	res, err := bundle.ResolveQuery(ctx, pinsOnly{repo, t}, r)
	if err != nil || res.Reference != roots["1.0.0"].Digest.String() || res.Yanked != nil || res.Warning() != "" {
		t.Fatalf("digest pin: %+v, %v", res, err)
	}
}

// TestResolveReferrersDown: a registry whose referrers requests fail still
// resolves, as before yanks existed: the mark is advisory.
func TestResolveReferrersDown(t *testing.T) {
	t.Parallel()
	backend := registrytest.Distribution(t)
	repo := repository(t, backend, "acme/yanks")
	roots := publish(t, repo, "1.0.0", "1.1.0")
	mark(t, repo, roots["1.1.0"], true, "bad")
	expect(t, backend, "", "1.0.0", false)

	u, _ := url.Parse("http://" + backend)
	proxy := httputil.NewSingleHostReverseProxy(u)
	fallback := "/manifests/" + referrer.FallbackTag(digest.Digest(roots["1.1.0"].Digest))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/referrers/") || strings.HasSuffix(r.URL.Path, fallback) {
			http.Error(w, `{"errors":[{"code":"UNKNOWN","message":"down"}]}`, http.StatusInternalServerError)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	// Without retries: the 500s would only be retried with backoff.
	down, err := remote.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/acme/yanks")
	must(t, err)
	down.PlainHTTP, down.Client = true, http.DefaultClient
	for q, want := range map[string]string{"": "1.1.0", "1.1.0": "1.1.0"} {
		r, err := ref.Parse("@acme/yanks", ref.Defaults{Registry: down.Reference.Registry})
		must(t, err)
		r.Version = q
		res, err := bundle.ResolveQuery(ctx, down, r)
		if err != nil || res.Reference != want || res.Yanked != nil {
			t.Errorf("resolving %q with referrers down: %+v, %v; want %s as before yanks", q, res, err, want)
		}
	}
}
