package server

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"

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

// pushInfo tells observePushes whether the guard published the request's
// manifest as a bundle version.
type pushInfo struct{ published atomic.Bool }

type pushInfoKey struct{}

// markPublished notes, for observePushes, that the request being served
// published a bundle version.
func markPublished(ctx context.Context) {
	if p, ok := ctx.Value(pushInfoKey{}).(*pushInfo); ok {
		p.published.Store(true)
	}
}

// observePushes counts the manifests stored under a tag by what they are
// (mpakd_pushed_manifests_total): a bundle version (the guard published
// it), an attachment (a signature, scan report or yank, by subject tag or
// OCI-Subject), or anything else: a container image or another artifact,
// which any registry holds as a matter of course, so it is logged at debug
// only.
func (s *Server) observePushes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			next.ServeHTTP(w, r)
			return
		}
		name, reference, ok := ociapi.SplitPath(r.URL.Path, "/manifests/")
		if _, err := digest.Parse(reference); !ok || err == nil {
			next.ServeHTTP(w, r) // by digest: a build of a version, or a referrer, counted with what tags it
			return
		}
		info := &pushInfo{}
		r = r.WithContext(context.WithValue(r.Context(), pushInfoKey{}, info))
		cw := &codeWriter{ResponseWriter: w}
		next.ServeHTTP(cw, r)
		if cw.code != http.StatusCreated {
			return
		}
		_, subjectTag := SubjectTag(reference)
		switch {
		case info.published.Load():
			s.metrics.pushed.WithLabelValues("bundle").Inc()
		case subjectTag || cw.Header().Get("OCI-Subject") != "":
			s.metrics.pushed.WithLabelValues("attachment").Inc()
		default:
			s.metrics.pushed.WithLabelValues("other").Inc()
			s.log.Debug("stored a manifest that is not an MCP bundle (a container image or another artifact); not indexed",
				"repository", name, "tag", reference, "media_type", r.Header.Get("Content-Type"))
		}
	})
}
