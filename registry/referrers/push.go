package referrers

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mpak-oci/mpak/registry/internal/ociapi"
)

// updateTimeout bounds a fallback index update, which runs even if the
// pushing client has gone away: the manifest is stored either way.
const updateTimeout = time.Minute

// put stores a manifest through next and, when it names a subject, lists it
// among the subject's referrers before answering with OCI-Subject.
func (m *middleware) put(w http.ResponseWriter, r *http.Request, name, ref string) {
	contentType := contentMediaType(r.Header.Get("Content-Type"))
	if contentType != "" && !canHaveSubject(contentType) {
		m.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxManifestBytes+1))
	if err != nil {
		ociapi.WriteError(w, http.StatusBadRequest, "MANIFEST_INVALID", "reading the manifest: "+err.Error(), nil)
		return
	}
	if len(body) > maxManifestBytes {
		// Too large to be a manifest we index; the registry judges it.
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
		m.next.ServeHTTP(w, r)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	// What the registry will store the manifest under: the body's digest,
	// in the algorithm of a digest reference. The registry's own
	// Docker-Content-Digest replaces it once stored.
	dgst := digest.FromBytes(body)
	if d, err := digest.Parse(ref); err == nil {
		dgst = d.Algorithm().FromBytes(body)
	}
	subject, desc, ok := parseReferrer(body, contentType, dgst)
	if !ok {
		m.next.ServeHTTP(w, r)
		return
	}

	held := ociapi.Hold(w)
	m.next.ServeHTTP(held, r)
	// An upstream with the referrers API lists the referrer itself and
	// says so with OCI-Subject; only one without it needs the fallback.
	if held.Status() == http.StatusCreated && w.Header().Get("OCI-Subject") == "" {
		if d, err := digest.Parse(w.Header().Get("Docker-Content-Digest")); err == nil {
			desc.Digest = d
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), updateTimeout)
		if err := m.addReferrer(ctx, name, subject, desc); err != nil {
			// The manifest is stored, so the push succeeded; a later push
			// of the same manifest repairs the list.
			m.log.Error("listing a pushed referrer failed; push it again to repair",
				"repository", name, "subject", subject, "referrer", desc.Digest, "err", err)
		}
		cancel()
		// Sent either way: the registry, not the client, owns the list,
		// and a client rewriting the fallback tag would race this one.
		w.Header().Set("OCI-Subject", subject.String())
	}
	held.Send()
}

// addReferrer lists desc among the referrers of subject in repository name.
func (m *middleware) addReferrer(ctx context.Context, name string, subject digest.Digest, desc ocispec.Descriptor) error {
	repo, err := m.repos.Repository(ctx, name)
	if err != nil {
		return err
	}
	return m.indexes.add(ctx, repo, name, subject, desc, m.log)
}
