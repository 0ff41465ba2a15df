package referrers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry"

	"github.com/mpak-oci/mpak/registry/internal/ociapi"
)

// delete deletes a manifest through next and, when it had a subject, drops
// it from the subject's referrers. Best effort: listing skips referrers
// whose manifest is gone anyway.
func (m *middleware) delete(w http.ResponseWriter, r *http.Request, name, ref string) {
	dgst, err := digest.Parse(ref)
	if err != nil { // deleting a tag leaves the manifest, and its listing
		m.next.ServeHTTP(w, r)
		return
	}
	repo, err := m.repos.Repository(r.Context(), name)
	if err != nil {
		m.next.ServeHTTP(w, r)
		return
	}
	subject, err := subjectOf(r.Context(), repo, dgst)
	if err != nil || subject == "" {
		m.next.ServeHTTP(w, r)
		return
	}
	held := ociapi.Hold(w)
	m.next.ServeHTTP(held, r)
	if held.Status() == http.StatusAccepted {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), updateTimeout)
		if err := m.indexes.remove(ctx, repo, name, subject, dgst, m.log); err != nil {
			m.log.Warn("unlisting a deleted referrer failed; listings skip it, the fallback index keeps it",
				"repository", name, "subject", subject, "referrer", dgst, "err", err)
		}
		cancel()
	}
	held.Send()
}

// subjectOf returns the subject of the stored manifest dgst, "" if it has
// none.
func subjectOf(ctx context.Context, repo registry.Repository, dgst digest.Digest) (digest.Digest, error) {
	desc, rc, err := repo.Manifests().FetchReference(ctx, dgst.String())
	if err != nil {
		return "", err
	}
	defer rc.Close()
	if !canHaveSubject(desc.MediaType) || desc.Size > maxManifestBytes {
		return "", nil
	}
	b, err := content.ReadAll(rc, desc)
	if err != nil {
		return "", err
	}
	var mf manifestFields
	if err := json.Unmarshal(b, &mf); err != nil {
		return "", err
	}
	if mf.Subject == nil {
		return "", nil
	}
	if err := mf.Subject.Digest.Validate(); err != nil {
		return "", errors.New("invalid subject digest")
	}
	return mf.Subject.Digest, nil
}
