package server

import (
	"net/http"
	"strings"

	"github.com/opencontainers/go-digest"
)

// manifestPath splits /v2/<name>/manifests/<reference>.
func manifestPath(p string) (name, reference string, ok bool) {
	rest, found := strings.CutPrefix(p, "/v2/")
	if !found {
		return "", "", false
	}
	i := strings.LastIndex(rest, "/manifests/")
	if i <= 0 {
		return "", "", false
	}
	return rest[:i], rest[i+len("/manifests/"):], true
}

// observePushes calls onTag once the registry has stored a manifest under
// a tag, before the client sees the answer: a push that returned has been
// indexed, so a search right after it finds the version. onSubject is
// called for a manifest that refers to another (a signature or scan
// report: the registry answered with OCI-Subject, or it was tagged with a
// sha256-<hex> fallback or cosign tag), so the subject's trust signals
// are read again.
func observePushes(next http.Handler, onTag func(r *http.Request, repository, tag string), onSubject func(r *http.Request, repository string, subject digest.Digest)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			next.ServeHTTP(w, r)
			return
		}
		name, reference, ok := manifestPath(r.URL.Path)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		// Hold the answer back until the version is indexed.
		buf := &bufferedHeader{ResponseWriter: w}
		next.ServeHTTP(buf, r)
		if buf.code == http.StatusCreated {
			subject, isSubjectTag := SubjectTag(reference)
			if d, err := digest.Parse(buf.Header().Get("OCI-Subject")); err == nil {
				subject, isSubjectTag = d, true
			}
			_, err := digest.Parse(reference)
			switch {
			case isSubjectTag:
				onSubject(r, name, subject)
			case err != nil:
				onTag(r, name, reference)
			}
		}
		buf.flush()
	})
}

// bufferedHeader delays WriteHeader and the (small) body of a manifest PUT
// response, so indexing happens before the client is answered.
type bufferedHeader struct {
	http.ResponseWriter
	code int
	body []byte
}

func (b *bufferedHeader) WriteHeader(code int) {
	if b.code == 0 {
		b.code = code
	}
}

func (b *bufferedHeader) Write(p []byte) (int, error) {
	if b.code == 0 {
		b.code = http.StatusOK
	}
	b.body = append(b.body, p...)
	return len(p), nil
}

func (b *bufferedHeader) flush() {
	if b.code == 0 {
		b.code = http.StatusOK
	}
	b.ResponseWriter.WriteHeader(b.code)
	b.ResponseWriter.Write(b.body)
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
