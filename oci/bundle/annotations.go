package bundle

import (
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mediatypes"
)

// versionAnnotations describe a version on its index and on each manifest.
func versionAnnotations(m *mcpb.Manifest, created time.Time, extra map[string]string) map[string]string {
	a := map[string]string{
		ocispec.AnnotationCreated:            created.UTC().Format(time.RFC3339),
		ocispec.AnnotationVersion:            m.Version,
		mediatypes.AnnotationServerType:      m.Server.Type,
		mediatypes.AnnotationManifestVersion: m.ManifestVersion,
	}
	title := m.DisplayName
	if title == "" {
		title = m.Name
	}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			a[k] = mediatypes.EscapeASCII(v)
		}
	}
	set(ocispec.AnnotationTitle, title)
	set(ocispec.AnnotationDescription, m.Description)
	set(ocispec.AnnotationLicenses, m.License)
	set(ocispec.AnnotationURL, m.Homepage)
	set(ocispec.AnnotationDocumentation, m.Documentation)
	if m.Repository != nil {
		set(ocispec.AnnotationSource, m.Repository.URL)
	}
	author := m.Author.Name
	if m.Author.Email != "" {
		author += " <" + m.Author.Email + ">"
	}
	set(ocispec.AnnotationAuthors, author)
	set(mediatypes.AnnotationTools, strings.Join(m.ToolNames(), ","))
	for k, v := range extra {
		set(k, v)
	}
	return a
}

// createdTime is never "now": the same bundle must always produce the same
// digests. Unless the caller says (PrepareOptions.Created), it is the
// newest entry time in the zip.
func createdTime(a *mcpb.Archive) time.Time {
	var newest time.Time
	for _, f := range a.Files {
		if f.Modified.After(newest) {
			newest = f.Modified
		}
	}
	if newest.IsZero() {
		newest = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return newest.UTC().Truncate(time.Second)
}
