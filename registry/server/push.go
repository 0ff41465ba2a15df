package server

import (
	"net/http"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/mpak-oci/mpak/registry/internal/ociapi"
)

// observeAttachments calls onSubject once the registry has stored a
// manifest that refers to another (a signature, scan report or yank: the
// registry answered with OCI-Subject, or it was tagged with a sha256-<hex>
// fallback or cosign tag), before the client sees the answer, so the
// subject's trust signals are read again and a search right after an
// attach reflects it. Versions themselves are indexed by the guard, which
// holds their lock.
func observeAttachments(next http.Handler, onSubject func(r *http.Request, repository string, subject digest.Digest)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			next.ServeHTTP(w, r)
			return
		}
		name, reference, ok := ociapi.SplitPath(r.URL.Path, "/manifests/")
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		held := ociapi.Hold(w)
		next.ServeHTTP(held, r)
		if held.Status() == http.StatusCreated {
			subject, isSubjectTag := SubjectTag(reference)
			if d, err := digest.Parse(held.Header().Get("OCI-Subject")); err == nil {
				subject, isSubjectTag = d, true
			}
			if isSubjectTag {
				onSubject(r, name, subject)
			}
		}
		held.Send()
	})
}

// SubjectTag recognises the tags that attach something to a manifest by
// naming its digest: the OCI referrers fallback tag (sha256-<hex>) and
// cosign's legacy .sig, .att and .sbom tags.
func SubjectTag(tag string) (digest.Digest, bool) {
	hex, ok := strings.CutPrefix(tag, "sha256-")
	if !ok {
		return "", false
	}
	for _, suffix := range []string{".sig", ".att", ".sbom"} {
		hex = strings.TrimSuffix(hex, suffix)
	}
	d := digest.NewDigestFromEncoded(digest.SHA256, hex)
	if d.Validate() != nil {
		return "", false
	}
	return d, true
}
