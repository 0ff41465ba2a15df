package referrers

import (
	"encoding/json"
	"mime"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// maxManifestBytes is the largest manifest read to find a subject: the
// distribution spec's recommended minimum limit, and distribution's own.
// Larger bodies are passed on unread for the registry to refuse.
const maxManifestBytes = 4 << 20

// manifestFields are the parts of an OCI image manifest or index that make
// it a referrer and describe it in a referrers list.
type manifestFields struct {
	MediaType    string              `json:"mediaType"`
	ArtifactType string              `json:"artifactType"`
	Config       *ocispec.Descriptor `json:"config"`
	Subject      *ocispec.Descriptor `json:"subject"`
	Annotations  map[string]string   `json:"annotations"`
}

// canHaveSubject reports whether manifests of this media type may carry a
// subject; Docker schema 2 types may not.
func canHaveSubject(mediaType string) bool {
	return mediaType == ocispec.MediaTypeImageManifest || mediaType == ocispec.MediaTypeImageIndex
}

// contentMediaType is the media type of a Content-Type header value,
// without parameters.
func contentMediaType(header string) string {
	mt, _, err := mime.ParseMediaType(header)
	if err != nil {
		return ""
	}
	return mt
}

// parseReferrer returns the manifest's subject and the descriptor that lists
// the manifest among its subject's referrers; ok is false when body is not
// an OCI manifest or index with a valid subject. contentType is the PUT's
// Content-Type, used when the body does not name its media type.
func parseReferrer(body []byte, contentType string, dgst digest.Digest) (subject digest.Digest, desc ocispec.Descriptor, ok bool) {
	var m manifestFields
	if err := json.Unmarshal(body, &m); err != nil || m.Subject == nil {
		return "", ocispec.Descriptor{}, false
	}
	if m.Subject.Digest.Validate() != nil {
		return "", ocispec.Descriptor{}, false
	}
	mediaType := m.MediaType
	if mediaType == "" {
		mediaType = contentType
	}
	if !canHaveSubject(mediaType) {
		return "", ocispec.Descriptor{}, false
	}
	// The spec's rule for a referrer's artifactType: the manifest's own,
	// else its config's media type (an index has no config).
	artifactType := m.ArtifactType
	if artifactType == "" && mediaType == ocispec.MediaTypeImageManifest && m.Config != nil {
		artifactType = m.Config.MediaType
	}
	return m.Subject.Digest, ocispec.Descriptor{
		MediaType:    mediaType,
		ArtifactType: artifactType,
		Digest:       dgst,
		Size:         int64(len(body)),
		Annotations:  m.Annotations,
	}, true
}
