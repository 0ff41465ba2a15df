package api

import (
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/registry/catalog"
)

// download is GET .../versions/{version}/download?os=&arch=. It answers
// where the chosen build's .mcpb is, as JSON, or redirects there. The
// redirect goes to this server's /v2/ blob URL rather than anywhere
// cheaper, because that GET is what counts the download. A yanked
// version is served with a Warning header; a tampered one not at all (409).
func (a *api) download(w http.ResponseWriter, r *http.Request, repository, version string) error {
	asJSON, err := wantsJSON(r)
	if err != nil {
		return err
	}
	v, err := a.version(r.Context(), repository, version)
	if err != nil {
		return err
	}
	host := a.host(r)
	if v.Tampered != "" {
		// The version is asked for by name, and its tag names other bytes
		// than were published: answer neither, as mpakd's /v2/ refuses the
		// tag. The published version stays available by digest.
		return &apiError{http.StatusConflict, codeTampered, fmt.Sprintf(
			"%s %s was published as %s, but the registry's tag %s now names %s: it was moved by something that bypassed mpakd, "+
				"so mpakd serves this version by digest only. Pull it as published with mpak bundle pull %s, and tell the registry's operator",
			a.names.display(repository), v.Version, v.Digest, v.Tag, v.Tampered, reference(host, v))}
	}
	p := r.URL.Query()
	b, err := selectBuild(v, p.Get("os"), p.Get("arch"), a.names.display(repository))
	if err != nil {
		return err
	}
	if v.Yanked {
		// Served all the same: a yanked version is withdrawn from latest
		// and ranges, not from those who pin it exactly.
		w.Header().Set("Warning", yankWarning(v.YankReason))
	}
	if !asJSON {
		http.Redirect(w, r, blobPath(v.Repository, b.LayerDigest), http.StatusTemporaryRedirect)
		return nil
	}
	writeJSON(w, http.StatusOK, &catalogapi.Download{
		Name:       a.names.display(repository),
		Version:    v.Version,
		Platform:   b.Platform,
		Digest:     b.LayerDigest,
		Size:       b.Size,
		URL:        scheme(r) + "://" + host + blobPath(v.Repository, b.LayerDigest),
		Reference:  reference(host, v),
		Yanked:     v.Yanked,
		YankReason: v.YankReason,
	})
	return nil
}

// yankWarning is the Warning header (RFC 7234 warn-code 299, a persistent
// warning) of a yanked version's download: 299 - "yanked: <reason>". The
// reason is the publisher's text, so it is made a valid quoted-string:
// quotes and backslashes escaped, anything but printable ASCII replaced
// (the JSON answer carries the reason exactly).
func yankWarning(reason string) string {
	var b strings.Builder
	b.WriteString(`299 - "yanked`)
	if reason != "" {
		b.WriteString(": ")
	}
	for _, r := range reason {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
	}
	b.WriteByte('"')
	return b.String()
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
func selectBuild(v *catalog.Version, os, arch, name string) (*catalog.Build, error) {
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
	var best *catalog.Build
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
