package guard

import (
	"context"
	"net/http"

	"github.com/mpak-oci/mpak/oci/resolve"
	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/internal/ociapi"
)

// pull refuses to serve a version by its tag when the tag no longer holds
// what was published: it was moved by a client that bypassed mpakd (a push
// straight to the upstream). Whoever asks for the version by name must not
// get other bytes. A version already marked tampered is refused at once;
// otherwise the registry's answer is checked against the catalog's digest
// as it passes, so a move is caught on the first pull, before any sync or
// event reports it. The published bytes stay available by digest.
func (g *guard) pull(w http.ResponseWriter, r *http.Request, name, ref string) {
	if g.opts.Catalog == nil || !resolve.IsSemverTag(ref) { // digests are no tags
		g.next.ServeHTTP(w, r)
		return
	}
	v, err := g.opts.Catalog.Version(r.Context(), name, resolve.VersionOf(ref))
	if err != nil || v.Tag != ref {
		g.next.ServeHTTP(w, r)
		return
	}
	if v.Tampered != "" {
		g.refuseMoved(w, r, name, ref, v.Digest, v.Tampered)
		return
	}
	check := &digestCheck{ResponseWriter: w, g: g, r: r, name: name, ref: ref, published: v}
	g.next.ServeHTTP(check, r)
	if check.found != "" {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), publishTimeout)
		g.opts.Moved(ctx, name, ref)
		cancel()
	}
}

func (g *guard) refuseMoved(w http.ResponseWriter, r *http.Request, name, ref, published, found string) {
	g.refuse(w, r, http.StatusConflict, ociapi.CodeDenied,
		name+":"+ref+" was published as "+published+", but the registry's tag now names "+found+
			": it was moved by something that bypassed mpakd, so mpakd will not serve it by tag. "+
			"Pull the version as published by digest ("+name+"@"+published+") if the registry still holds it, and tell the registry's operator",
		map[string]string{"repository": name, "tag": ref, "published": published, "found": found})
}

// digestCheck passes the registry's answer through unless it names another
// digest than the published one; then the client gets the refusal instead.
type digestCheck struct {
	http.ResponseWriter
	g         *guard
	r         *http.Request
	name, ref string
	published *catalog.Version
	found     string // the digest the registry answered with, when moved
	decided   bool
}

func (d *digestCheck) WriteHeader(code int) {
	if d.decided {
		return
	}
	d.decided = true
	got := d.Header().Get("Docker-Content-Digest")
	if code == http.StatusOK && got != "" && got != d.published.Digest {
		d.found = got
		for k := range d.Header() {
			d.Header().Del(k)
		}
		d.g.refuseMoved(d.ResponseWriter, d.r, d.name, d.ref, d.published.Digest, got)
		return
	}
	d.ResponseWriter.WriteHeader(code)
}

func (d *digestCheck) Write(p []byte) (int, error) {
	if !d.decided {
		d.WriteHeader(http.StatusOK)
	}
	if d.found != "" {
		return len(p), nil // the moved manifest's bytes go nowhere
	}
	return d.ResponseWriter.Write(p)
}

func (d *digestCheck) Flush() {
	if f, ok := d.ResponseWriter.(http.Flusher); ok && d.found == "" {
		f.Flush()
	}
}
