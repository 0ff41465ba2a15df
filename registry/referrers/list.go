package referrers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote/errcode"

	"github.com/mpak-oci/mpak/registry/internal/ociapi"
)

// list answers GET /v2/<name>/referrers/<digest>[?artifactType=] from the
// subject's fallback index.
//
// Entries whose manifest has been deleted are left out: a delete that did
// not go through this middleware (or whose unlisting failed) must not leave
// clients fetching a manifest that 404s. That costs one in-process HEAD per
// entry, cheap next to the client's own fetches of what it is listed.
//
// The answer is one page: fallback indexes are capped at 4 MiB, which is
// thousands of referrers.
func (m *middleware) list(w http.ResponseWriter, r *http.Request, name, ref string) {
	subject, err := digest.Parse(ref)
	if err != nil {
		ociapi.WriteError(w, http.StatusBadRequest, "DIGEST_INVALID", "referrers of "+strconv.Quote(ref)+": not a digest; use <algorithm>:<hex>, e.g. sha256:<64 hex digits>", nil)
		return
	}
	ctx := r.Context()
	repo, err := m.repos.Repository(ctx, name)
	if err != nil {
		ociapi.WriteError(w, http.StatusBadRequest, "NAME_INVALID", "repository name "+strconv.Quote(name)+": "+err.Error(), nil)
		return
	}
	_, referrers, err := read(ctx, repo, subject)
	if err != nil {
		m.log.Error("listing referrers failed", "repository", name, "subject", subject, "err", err)
		ociapi.WriteError(w, http.StatusInternalServerError, "UNKNOWN", "listing referrers of "+subject.String()+": "+err.Error(), nil)
		return
	}
	if len(referrers) == 0 {
		// The spec forbids 404 for an existing repository, even one whose
		// subject was never pushed; distribution's own 404 for an unknown
		// one is kept.
		known, err := repositoryExists(ctx, repo, subject)
		if err != nil {
			m.log.Error("checking a repository exists failed", "repository", name, "err", err)
			ociapi.WriteError(w, http.StatusInternalServerError, "UNKNOWN", "listing referrers of "+subject.String()+": "+err.Error(), nil)
			return
		}
		if !known {
			ociapi.WriteError(w, http.StatusNotFound, "NAME_UNKNOWN", "repository "+strconv.Quote(name)+" not known to registry", nil)
			return
		}
	}

	artifactType := r.URL.Query().Get("artifactType")
	manifests := make([]ocispec.Descriptor, 0, len(referrers))
	for _, d := range referrers {
		if artifactType != "" && d.ArtifactType != artifactType {
			continue
		}
		if gone(ctx, repo, d) {
			continue
		}
		manifests = append(manifests, d)
	}
	body, err := json.Marshal(ocispec.Index{Versioned: specsVersion, MediaType: ocispec.MediaTypeImageIndex, Manifests: manifests})
	if err != nil {
		ociapi.WriteError(w, http.StatusInternalServerError, "UNKNOWN", err.Error(), nil)
		return
	}
	if artifactType != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	w.Header().Set("Content-Type", ocispec.MediaTypeImageIndex)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// gone reports whether the manifest d has been deleted. Errors other than
// not-found keep the entry: a listing is no place to hide a storage fault.
func gone(ctx context.Context, repo registry.Repository, d ocispec.Descriptor) bool {
	_, err := repo.Manifests().Resolve(ctx, d.Digest.String())
	return errors.Is(err, errdef.ErrNotFound)
}

// repositoryExists tells an unknown repository from one without referrers.
// The subject resolving proves it exists; otherwise distribution's tag list
// answers NAME_UNKNOWN for a repository it does not know (and, a
// limitation, for one holding only untagged manifests).
func repositoryExists(ctx context.Context, repo registry.Repository, subject digest.Digest) (bool, error) {
	if _, err := repo.Manifests().Resolve(ctx, subject.String()); err == nil {
		return true, nil
	}
	err := repo.Tags(ctx, "", func([]string) error { return errStopListing })
	if err == nil || errors.Is(err, errStopListing) {
		return true, nil
	}
	var resp *errcode.ErrorResponse
	if errors.As(err, &resp) && resp.StatusCode == http.StatusNotFound {
		for _, e := range resp.Errors {
			if e.Code == errcode.ErrorCodeNameUnknown {
				return false, nil
			}
		}
	}
	return false, err
}

var errStopListing = errors.New("stop listing")
