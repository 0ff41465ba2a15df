package referrers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/registry/embedded"
	"github.com/mpak-oci/mpak/registry/referrers"
)

const (
	created     = "2026-01-02T03:04:05Z"
	subjectType = "application/vnd.test.subject.v1+json"
	sigType     = "application/vnd.dev.sigstore.bundle.v0.3+json"
	sbomType    = "application/vnd.cyclonedx+json"
	scanType    = "application/vnd.mpak.scan.v1+json"
)

// registryPair is one embedded registry served twice: through the
// middleware (api) and bare (plain), as distribution alone serves it.
type registryPair struct {
	reg   *embedded.Registry
	api   string
	plain string
}

func startRegistry(t *testing.T) registryPair {
	t.Helper()
	reg, err := embedded.New(context.Background(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(referrers.Middleware(reg, referrers.Options{Repos: reg, Logger: slog.New(failOnWarn{t})}))
	plain := httptest.NewServer(reg)
	t.Cleanup(func() {
		api.Close()
		plain.Close()
		reg.Close()
	})
	return registryPair{reg: reg, api: strings.TrimPrefix(api.URL, "http://"), plain: strings.TrimPrefix(plain.URL, "http://")}
}

// failOnWarn fails the test on any warning or error the middleware logs:
// in these scenarios every fallback update must succeed.
type failOnWarn struct{ t *testing.T }

func (h failOnWarn) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (h failOnWarn) Handle(_ context.Context, r slog.Record) error {
	var attrs []string
	r.Attrs(func(a slog.Attr) bool { attrs = append(attrs, a.String()); return true })
	h.t.Errorf("middleware logged %s: %s %v", r.Level, r.Message, attrs)
	return nil
}
func (h failOnWarn) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h failOnWarn) WithGroup(string) slog.Handler      { return h }

// exchange is one request a client made and the headers of the answer.
type exchange struct {
	method, path, query string
	status              int
	header              http.Header
}

// recorder is a RoundTripper that remembers every exchange, to see what
// oras-go sent and what the registry told it.
type recorder struct {
	mu        sync.Mutex
	exchanges []exchange
}

func (rec *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	rec.mu.Lock()
	rec.exchanges = append(rec.exchanges, exchange{req.Method, req.URL.Path, req.URL.RawQuery, resp.StatusCode, resp.Header.Clone()})
	rec.mu.Unlock()
	return resp, nil
}

func (rec *recorder) find(method, pathSuffix string) []exchange {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []exchange
	for _, e := range rec.exchanges {
		if e.method == method && strings.HasSuffix(e.path, pathSuffix) {
			out = append(out, e)
		}
	}
	return out
}

func newRepo(t *testing.T, host, name string, rt http.RoundTripper) *remote.Repository {
	t.Helper()
	repo, err := remote.NewRepository(host + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	if rt == nil {
		rt = http.DefaultTransport
	}
	repo.Client = &http.Client{Transport: rt}
	return repo
}

func pushSubject(ctx context.Context, t *testing.T, repo *remote.Repository, tag string) ocispec.Descriptor {
	t.Helper()
	desc, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, subjectType, oras.PackManifestOptions{
		ManifestAnnotations: map[string]string{ocispec.AnnotationCreated: created},
	})
	if err != nil {
		t.Fatalf("pushing subject: %v", err)
	}
	if err := repo.Tag(ctx, desc, tag); err != nil {
		t.Fatalf("tagging subject: %v", err)
	}
	return desc
}

// pushReferrer attaches an artifact of artifactType to subject; note makes
// referrers of one type distinct.
func pushReferrer(ctx context.Context, t *testing.T, repo *remote.Repository, subject ocispec.Descriptor, artifactType, note string) ocispec.Descriptor {
	t.Helper()
	layer, err := oras.PushBytes(ctx, repo, "application/octet-stream", []byte(artifactType+note))
	if err != nil {
		t.Errorf("pushing a layer: %v", err)
		return ocispec.Descriptor{}
	}
	desc, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, artifactType, oras.PackManifestOptions{
		Subject: &subject,
		Layers:  []ocispec.Descriptor{layer},
		ManifestAnnotations: map[string]string{
			ocispec.AnnotationCreated: created,
			"test.note":               note,
		},
	})
	if err != nil {
		t.Errorf("pushing a %s referrer: %v", artifactType, err)
	}
	return desc
}

func listReferrers(ctx context.Context, t *testing.T, repo *remote.Repository, subject ocispec.Descriptor, artifactType string) []ocispec.Descriptor {
	t.Helper()
	var all []ocispec.Descriptor
	if err := repo.Referrers(ctx, subject, artifactType, func(page []ocispec.Descriptor) error {
		all = append(all, page...)
		return nil
	}); err != nil {
		t.Fatalf("listing referrers: %v", err)
	}
	sortByDigest(all)
	return all
}

func sortByDigest(ds []ocispec.Descriptor) {
	slices.SortFunc(ds, func(a, b ocispec.Descriptor) int { return strings.Compare(string(a.Digest), string(b.Digest)) })
}

// sameDescriptors compares what is listed with what PackManifest returned:
// media type, digest, size, artifactType and annotations.
func sameDescriptors(t *testing.T, what string, got, want []ocispec.Descriptor) {
	t.Helper()
	want = slices.Clone(want)
	sortByDigest(want)
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) == string(w) {
		return
	}
	if names(got) != names(want) {
		t.Errorf("%s: got %d referrers %s, want %d %s", what, len(got), names(got), len(want), names(want))
		return
	}
	t.Errorf("%s: same referrers, different descriptors:\n got %s\nwant %s", what, g, w)
}

// names is a short, readable form of a referrers list for failures.
func names(ds []ocispec.Descriptor) string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Annotations["test.note"]+"@"+d.Digest.Encoded()[:8])
	}
	return "[" + strings.Join(out, " ") + "]"
}

// rawReferrers GETs the referrers API without oras-go.
func rawReferrers(t *testing.T, host, name, ref, artifactType string) (*http.Response, []byte) {
	t.Helper()
	u := "http://" + host + "/v2/" + name + "/referrers/" + ref
	if artifactType != "" {
		u += "?artifactType=" + url.QueryEscape(artifactType)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// fallbackTags returns the repository's tags that look like referrers tags.
func fallbackTags(ctx context.Context, t *testing.T, repo *remote.Repository) []string {
	t.Helper()
	var tags []string
	if err := repo.Tags(ctx, "", func(page []string) error {
		for _, tag := range page {
			if strings.HasPrefix(tag, "sha256-") {
				tags = append(tags, tag)
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("listing tags: %v", err)
	}
	return tags
}

// fallbackIndex reads the index under the subject's referrers tag.
func fallbackIndex(ctx context.Context, t *testing.T, repo *remote.Repository, subject ocispec.Descriptor) []ocispec.Descriptor {
	t.Helper()
	desc, rc, err := repo.FetchReference(ctx, referrers.FallbackTag(subject.Digest))
	if err != nil {
		t.Fatalf("fetching the fallback index: %v", err)
	}
	defer rc.Close()
	b, err := content.ReadAll(rc, desc)
	if err != nil {
		t.Fatal(err)
	}
	var index ocispec.Index
	if err := json.Unmarshal(b, &index); err != nil {
		t.Fatal(err)
	}
	sortByDigest(index.Manifests)
	return index.Manifests
}

func TestReferrersAPI(t *testing.T) {
	ctx := context.Background()
	r := startRegistry(t)
	rec := &recorder{}
	repo := newRepo(t, r.api, "acme/tool", rec)

	subject := pushSubject(ctx, t, repo, "v1")
	want := []ocispec.Descriptor{
		pushReferrer(ctx, t, repo, subject, sigType, "sig"),
		pushReferrer(ctx, t, repo, subject, sbomType, "sbom"),
		pushReferrer(ctx, t, repo, subject, scanType, "scan"),
	}
	for _, d := range want {
		puts := rec.find(http.MethodPut, "/manifests/"+d.Digest.String())
		if len(puts) != 1 {
			t.Fatalf("want 1 PUT of %s, got %d", d.Digest, len(puts))
		}
		if got := puts[0].header.Get("OCI-Subject"); got != subject.Digest.String() {
			t.Errorf("PUT of %s: OCI-Subject = %q, want %q", d.ArtifactType, got, subject.Digest)
		}
	}
	if puts := rec.find(http.MethodPut, "/manifests/"+referrers.FallbackTag(subject.Digest)); len(puts) != 0 {
		t.Errorf("oras-go rewrote the fallback tag itself (%d PUTs) despite OCI-Subject", len(puts))
	}
	if puts := rec.find(http.MethodPut, "/manifests/v1"); puts[0].header.Get("OCI-Subject") != "" {
		t.Errorf("a manifest without subject was answered with OCI-Subject %q", puts[0].header.Get("OCI-Subject"))
	}

	sameDescriptors(t, "all referrers", listReferrers(ctx, t, repo, subject, ""), want)
	if gets := rec.find(http.MethodGet, "/referrers/"+subject.Digest.String()); len(gets) == 0 {
		t.Error("oras-go did not use the referrers API")
	}
	if tags := fallbackTags(ctx, t, repo); len(tags) != 1 || tags[0] != referrers.FallbackTag(subject.Digest) {
		t.Errorf("fallback tags = %v, want exactly [%s]", tags, referrers.FallbackTag(subject.Digest))
	}
	sameDescriptors(t, "fallback index", fallbackIndex(ctx, t, repo, subject), want)

	t.Run("filter", func(t *testing.T) {
		sameDescriptors(t, "sbom referrers", listReferrers(ctx, t, repo, subject, sbomType), want[1:2])
		resp, body := rawReferrers(t, r.api, "acme/tool", subject.Digest.String(), sbomType)
		if resp.Header.Get("OCI-Filters-Applied") != "artifactType" {
			t.Errorf("OCI-Filters-Applied = %q, want artifactType", resp.Header.Get("OCI-Filters-Applied"))
		}
		var index ocispec.Index
		if err := json.Unmarshal(body, &index); err != nil {
			t.Fatal(err)
		}
		sameDescriptors(t, "server-filtered index", index.Manifests, want[1:2])
		if resp, _ := rawReferrers(t, r.api, "acme/tool", subject.Digest.String(), ""); resp.Header.Get("OCI-Filters-Applied") != "" {
			t.Error("OCI-Filters-Applied set on an unfiltered listing")
		}
	})

	t.Run("empty", func(t *testing.T) {
		for _, ref := range []digest.Digest{want[0].Digest, digest.FromString("never pushed")} {
			resp, body := rawReferrers(t, r.api, "acme/tool", ref.String(), "")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != ocispec.MediaTypeImageIndex {
				t.Fatalf("referrers of %s: %d %s, want 200 %s", ref, resp.StatusCode, resp.Header.Get("Content-Type"), ocispec.MediaTypeImageIndex)
			}
			var index struct {
				SchemaVersion int               `json:"schemaVersion"`
				MediaType     string            `json:"mediaType"`
				Manifests     []json.RawMessage `json:"manifests"`
			}
			if err := json.Unmarshal(body, &index); err != nil {
				t.Fatal(err)
			}
			if index.SchemaVersion != 2 || index.MediaType != ocispec.MediaTypeImageIndex || index.Manifests == nil || len(index.Manifests) != 0 {
				t.Errorf("referrers of %s = %s, want an empty index with a manifests array", ref, body)
			}
		}
	})

	t.Run("errors", func(t *testing.T) {
		resp, body := rawReferrers(t, r.api, "acme/nope", subject.Digest.String(), "")
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "NAME_UNKNOWN") {
			t.Errorf("unknown repository: %d %s, want 404 NAME_UNKNOWN", resp.StatusCode, body)
		}
		for _, bad := range []string{"sha256:abc", "nodigest", "md5:" + strings.Repeat("0", 32)} {
			resp, body := rawReferrers(t, r.api, "acme/tool", bad, "")
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "DIGEST_INVALID") {
				t.Errorf("digest %q: %d %s, want 400 DIGEST_INVALID", bad, resp.StatusCode, body)
			}
		}
	})

	t.Run("delete", func(t *testing.T) {
		// Through the middleware: unlisted from the fallback index.
		if err := repo.Delete(ctx, want[0]); err != nil {
			t.Fatal(err)
		}
		sameDescriptors(t, "fallback index after delete", fallbackIndex(ctx, t, repo, subject), want[1:])
		// Behind its back: still listed in the index, but not served.
		req, _ := http.NewRequest(http.MethodDelete, "http://"+r.plain+"/v2/acme/tool/manifests/"+want[1].Digest.String(), nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("deleting on the plain registry: %d", resp.StatusCode)
		}
		sameDescriptors(t, "referrers after deletes", listReferrers(ctx, t, repo, subject, ""), want[2:])
	})
}

func TestConcurrentPushesLoseNothing(t *testing.T) {
	ctx := context.Background()
	r := startRegistry(t)
	subject := pushSubject(ctx, t, newRepo(t, r.api, "acme/busy", nil), "v1")

	const n = 10
	want := make([]ocispec.Descriptor, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			// A client each, as separate signers would be.
			want[i] = pushReferrer(ctx, t, newRepo(t, r.api, "acme/busy", nil), subject, scanType, fmt.Sprint("run ", i))
		})
	}
	wg.Wait()
	repo := newRepo(t, r.api, "acme/busy", nil)
	sameDescriptors(t, "referrers", listReferrers(ctx, t, repo, subject, ""), want)
	sameDescriptors(t, "fallback index", fallbackIndex(ctx, t, repo, subject), want)
}

func TestExtendedCopyToRegistryWithoutAPI(t *testing.T) {
	ctx := context.Background()
	src := startRegistry(t)
	dst := startRegistry(t)
	srcRepo := newRepo(t, src.api, "acme/tool", nil)
	subject := pushSubject(ctx, t, srcRepo, "v1")
	want := []ocispec.Descriptor{
		pushReferrer(ctx, t, srcRepo, subject, sigType, "sig"),
		pushReferrer(ctx, t, srcRepo, subject, sbomType, "sbom"),
		pushReferrer(ctx, t, srcRepo, subject, scanType, "scan"),
	}

	rec := &recorder{}
	dstRepo := newRepo(t, dst.plain, "mirror/tool", rec)
	if _, err := oras.ExtendedCopy(ctx, srcRepo, "v1", dstRepo, "v1", oras.ExtendedCopyOptions{}); err != nil {
		t.Fatalf("extended copy: %v", err)
	}
	if len(rec.find(http.MethodPut, "/manifests/"+referrers.FallbackTag(subject.Digest))) == 0 {
		t.Error("oras-go wrote no fallback tag on the registry without the API")
	}
	fresh := newRepo(t, dst.plain, "mirror/tool", nil)
	sameDescriptors(t, "copied referrers", listReferrers(ctx, t, fresh, subject, ""), want)
}

func TestListsReferrersAttachedInFallbackMode(t *testing.T) {
	ctx := context.Background()
	r := startRegistry(t)
	old := newRepo(t, r.plain, "acme/legacy", nil)
	subject := pushSubject(ctx, t, old, "v1")
	legacy := pushReferrer(ctx, t, old, subject, sigType, "attached without the API")
	if tags := fallbackTags(ctx, t, old); len(tags) != 1 {
		t.Fatalf("oras-go wrote fallback tags %v on the plain registry, want one", tags)
	}

	resp, body := rawReferrers(t, r.api, "acme/legacy", subject.Digest.String(), "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("referrers: %d %s", resp.StatusCode, body)
	}
	var index ocispec.Index
	if err := json.Unmarshal(body, &index); err != nil {
		t.Fatal(err)
	}
	sameDescriptors(t, "referrers attached in fallback mode", index.Manifests, []ocispec.Descriptor{legacy})

	// A referrer pushed through the API joins the existing list.
	repo := newRepo(t, r.api, "acme/legacy", nil)
	added := pushReferrer(ctx, t, repo, subject, scanType, "attached through the API")
	sameDescriptors(t, "merged referrers", listReferrers(ctx, t, repo, subject, ""), []ocispec.Descriptor{legacy, added})
	if tags := fallbackTags(ctx, t, repo); len(tags) != 1 {
		t.Errorf("fallback tags %v, want one", tags)
	}
}

func TestFallbackTag(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	for in, want := range map[digest.Digest]string{
		digest.Digest("sha256:" + hex):                         "sha256-" + hex,
		digest.Digest("sha512:" + hex + hex):                   "sha512-" + hex,
		digest.Digest("a+b.c_d:" + hex):                        "a-b.c_d-" + hex,
		digest.Digest(strings.Repeat("x", 40) + ":" + hex[:8]): strings.Repeat("x", 32) + "-" + hex[:8],
	} {
		if got := referrers.FallbackTag(in); got != want {
			t.Errorf("FallbackTag(%s) = %s, want %s", in, got, want)
		}
	}
}
