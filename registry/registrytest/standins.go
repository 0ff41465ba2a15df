package registrytest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/mpak-oci/mpak/registry/embedded"
	"github.com/mpak-oci/mpak/registry/referrers"
)

// GHCRLike starts distribution/v3 behind what GitHub's registry answers
// differently: no referrers API (404, so clients fall back to tags) and no
// catalog listing (401). Catalogs of such registries are fed by name
// (mpakd sync) only.
func GHCRLike(t testing.TB) string {
	t.Helper()
	reg := start(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v2/_catalog":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"catalog listing is not available"}]}`)
		case strings.Contains(r.URL.Path, "/referrers/"):
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"errors":[{"code":"NOT_FOUND","message":"404 page not found"}]}`)
		default:
			reg.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return host(srv)
}

// HarborLike is a registry with Harbor's behaviour where mpak depends on
// it: a faithful referrers API (artifactType from the manifest, annotations
// kept, ?artifactType= filtering, OCI-Subject on pushes with a subject;
// mpakd's implementation over distribution/v3) and webhooks in Harbor's
// default payload format: PUSH_ARTIFACT for a manifest pushed under a tag,
// PULL_ARTIFACT for every manifest GET, as Harbor sends them.
type HarborLike struct {
	Host string
	// Webhook, when set, receives the payloads with Authorization: Secret.
	Webhook, Secret string
	// NoPullEvents leaves PULL_ARTIFACT out, as a Harbor webhook policy
	// without that event type does.
	NoPullEvents bool
}

// NewHarborLike starts a HarborLike registry.
func NewHarborLike(t testing.TB) *HarborLike {
	t.Helper()
	reg := start(t)
	v2 := referrers.Middleware(reg, referrers.Options{Repos: reg})
	h := &HarborLike{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &status{ResponseWriter: w}
		v2.ServeHTTP(rec, r)
		repo, ref, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v2/"), "/manifests/")
		if !ok || h.Webhook == "" {
			return
		}
		switch {
		case r.Method == http.MethodPut && rec.code == http.StatusCreated && digest.Digest(ref).Validate() != nil:
			h.send(t, "PUSH_ARTIFACT", repo, rec.Header().Get("Docker-Content-Digest"), ref)
		case r.Method == http.MethodGet && rec.code == http.StatusOK && !h.NoPullEvents:
			tag := ref
			if digest.Digest(ref).Validate() == nil {
				tag = ""
			}
			h.send(t, "PULL_ARTIFACT", repo, rec.Header().Get("Docker-Content-Digest"), tag)
		}
	}))
	t.Cleanup(srv.Close)
	h.Host = host(srv)
	return h
}

// send delivers one Harbor payload, synchronously: tests then need no
// waiting, and Harbor's own delivery is a retried job anyway.
func (h *HarborLike) send(t testing.TB, typ, repo, dgst, tag string) {
	ns, name, _ := strings.Cut(repo, "/")
	payload, _ := json.Marshal(map[string]any{
		"type": typ, "occur_at": time.Now().Unix(), "operator": "robot$ci",
		"event_data": map[string]any{
			"resources":  []map[string]string{{"digest": dgst, "tag": tag, "resource_url": h.Host + "/" + repo + ":" + tag}},
			"repository": map[string]string{"name": name, "namespace": ns, "repo_full_name": repo, "repo_type": "private"},
		},
	})
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, h.Webhook, bytes.NewReader(payload))
	if err != nil {
		t.Errorf("harbor-like webhook: %v", err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", h.Secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("harbor-like webhook %s: %v", typ, err)
		return
	}
	resp.Body.Close()
}

// start is a distribution/v3 with in-memory storage.
func start(t testing.TB) *embedded.Registry {
	t.Helper()
	reg, err := embedded.New(context.Background(), embedded.Options{})
	if err != nil {
		t.Fatalf("starting distribution: %v", err)
	}
	t.Cleanup(func() { reg.Close() })
	return reg
}

// status records the answer's code and lets headers through.
type status struct {
	http.ResponseWriter
	code int
}

func (s *status) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *status) Write(p []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

// Flush keeps blob streaming through the wrapper.
func (s *status) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
