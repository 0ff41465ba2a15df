package embedded

import (
	"context"
	"net/http"
	"net/http/httptest"

	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"
)

// internalHost names the registry to clients served in-process; it never
// reaches DNS.
const internalHost = "mpakd.internal"

// handlerTransport serves requests straight from the registry handler,
// without a socket. Responses are buffered, which suits the manifests and
// configs the indexer reads; blobs are not read this way.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, req)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// Repository opens a repository of this registry in-process, for mpakd's own
// reads (indexing, referrers).
func (r *Registry) Repository(_ context.Context, name string) (registry.Repository, error) {
	repo, err := remote.NewRepository(internalHost + "/" + name)
	if err != nil {
		return nil, err
	}
	repo.Client = &http.Client{Transport: handlerTransport{r.app}}
	repo.PlainHTTP = true
	return repo, nil
}

// Repositories lists every repository (distribution's catalog).
func (r *Registry) Repositories(ctx context.Context) ([]string, error) {
	reg, err := remote.NewRegistry(internalHost)
	if err != nil {
		return nil, err
	}
	reg.Client = &http.Client{Transport: handlerTransport{r.app}}
	reg.PlainHTTP = true
	return registry.Repositories(ctx, reg)
}
