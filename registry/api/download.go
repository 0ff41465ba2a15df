package api

import (
	"mime"
	"net/http"
	"strings"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/catalog"
	"github.com/mpak-oci/mpak/registry/index"
)

// download is GET .../versions/{version}/download?os=&arch=. It answers
// where the chosen build's .mcpb is, as JSON, or redirects there. The
// redirect goes to this server's /v2/ blob URL rather than anywhere
// cheaper, because that GET is what counts the download.
func (a *api) download(w http.ResponseWriter, r *http.Request, repository, version string) error {
	asJSON, err := wantsJSON(r)
	if err != nil {
		return err
	}
	v, err := a.version(r.Context(), repository, version)
	if err != nil {
		return err
	}
	p := r.URL.Query()
	b, err := selectBuild(v, p.Get("os"), p.Get("arch"), a.names.display(repository))
	if err != nil {
		return err
	}
	if !asJSON {
		http.Redirect(w, r, blobPath(v.Repository, b.LayerDigest), http.StatusTemporaryRedirect)
		return nil
	}
	host := a.host(r)
	writeJSON(w, http.StatusOK, &catalog.Download{
		Name:      a.names.display(repository),
		Version:   v.Version,
		Platform:  b.Platform,
		Digest:    b.LayerDigest,
		Size:      b.Size,
		URL:       scheme(r) + "://" + host + blobPath(v.Repository, b.LayerDigest),
		Reference: reference(host, v),
	})
	return nil
}

// wantsJSON tells an API client (?format=json, or Accept naming
// application/json) from a browser or curl -L, which get the redirect.
func wantsJSON(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "json":
		return true, nil
	case "":
	default:
		return false, badRequest("format=%q: use format=json, or leave it out to be redirected to the bundle", f)
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, params, err := mime.ParseMediaType(part)
		if err == nil && mt == "application/json" && params["q"] != "0" {
			return true, nil
		}
	}
	return false, nil
}

// selectBuild picks the build for a host the way the mpak client does: the
// exact os/arch, then the OS's architecture-independent build, then the
// platform-independent one. Without os it takes the platform-independent
// build only: guessing an OS would hand out a binary that cannot run.
func selectBuild(v *index.Version, os, arch, name string) (*index.Build, error) {
	if arch != "" && os == "" {
		return nil, badRequest("arch=%q needs os as well, e.g. ?os=linux&arch=%s", arch, arch)
	}
	want := mediatypes.AnyPlatform
	if os != "" {
		s := os
		if arch != "" {
			s += "/" + arch
		}
		var err error
		if want, err = mediatypes.ParsePlatform(s); err != nil {
			return nil, badRequest("os=%q arch=%q: %v", os, arch, err)
		}
	}
	var best *index.Build
	score := 0
	for i := range v.Builds {
		p, err := mediatypes.ParsePlatform(v.Builds[i].Platform)
		if err != nil {
			continue // not a platform we could serve anyone
		}
		if s := p.Match(want); s > score {
			best, score = &v.Builds[i], s
		}
	}
	if best != nil {
		return best, nil
	}
	have := strings.Join(platforms(v), ", ")
	if os == "" {
		return nil, badRequest("%s %s has platform-specific builds only (%s): add ?os=&arch=, e.g. ?os=linux&arch=amd64",
			name, v.Version, have)
	}
	return nil, notFound("%s %s has no build for %s: it has %s", name, v.Version, want, have)
}
