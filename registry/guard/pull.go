package guard

import (
	"net/http"

	"github.com/opencontainers/go-digest"

	"github.com/mpak-oci/mpak/oci/resolve"
	"github.com/mpak-oci/mpak/registry/internal/ociapi"
)

// pull refuses to serve a tampered version by its tag: the tag no longer
// holds what was published (it was moved by a client that bypassed
// mpakd), and whoever asks for the version by name must not get other
// bytes. The published bytes stay available by digest.
func (g *guard) pull(w http.ResponseWriter, r *http.Request, name, ref string) {
	if g.opts.Catalog == nil || !resolve.IsSemverTag(ref) {
		g.next.ServeHTTP(w, r)
		return
	}
	if _, err := digest.Parse(ref); err == nil {
		g.next.ServeHTTP(w, r)
		return
	}
	v, err := g.opts.Catalog.Version(r.Context(), name, resolve.VersionOf(ref))
	if err != nil || v.Tag != ref || v.Tampered == "" {
		g.next.ServeHTTP(w, r)
		return
	}
	g.refuse(w, r, http.StatusConflict, ociapi.CodeDenied,
		name+":"+ref+" was published as "+v.Digest+", but the registry's tag now names "+v.Tampered+
			": it was moved by something that bypassed mpakd, so mpakd will not serve it by tag. "+
			"Pull the version as published by digest ("+name+"@"+v.Digest+") if the registry still holds it, and tell the registry's operator",
		map[string]string{"repository": name, "tag": ref, "published": v.Digest, "found": v.Tampered})
}
