package guard

import (
	"context"
	"errors"
	"net/http"

	"oras.land/oras-go/v2/errdef"

	"github.com/mpak-oci/mpak/registry/internal/ociapi"
)

// deleteManifest refuses to delete a bundle version, by tag or digest, or
// any of its platform manifests: a published version stays pullable by
// every pin, lock file and cache that names it. Withdrawing one is a yank.
// Other manifests (signatures, referrer lists, container images) are the
// registry's to delete, and so is a version for a client Options.MayDelete
// lets (an administrator taking one down).
func (g *guard) deleteManifest(w http.ResponseWriter, r *http.Request, name, ref string) {
	ctx := r.Context()
	repo, err := g.opts.Repos.Repository(ctx, name)
	if err != nil {
		g.next.ServeHTTP(w, r)
		return
	}
	desc, isBundle, err := bundleAt(ctx, repo, ref)
	if errors.Is(err, errdef.ErrNotFound) {
		g.next.ServeHTTP(w, r) // the registry answers for what it does not have
		return
	}
	if err != nil {
		g.refuse(w, r, http.StatusBadGateway, ociapi.CodeUnavailable, "mpakd could not read "+refString(name, ref)+" to check it may be deleted: "+err.Error(), nil)
		return
	}
	if isBundle && g.opts.MayDelete != nil && g.opts.MayDelete(r, name) {
		g.opts.Logger.Warn("deleting a published bundle version: the client holds the delete grant", "repository", name, "reference", ref, "digest", desc.Digest.String())
	} else if isBundle {
		g.refuse(w, r, http.StatusForbidden, ociapi.CodeDenied,
			refString(name, ref)+" ("+desc.Digest.String()+") is part of a published MCP bundle version, and published versions are never deleted, "+
				"so every pin, lock file and cache that names them keeps working: to withdraw a version, yank it "+
				"(mpak bundle yank <registry>/"+name+":<version> --reason …), which hides it from latest and ranges",
			map[string]string{"repository": name, "reference": ref, "digest": desc.Digest.String()})
		return
	}
	held := ociapi.Hold(w)
	g.next.ServeHTTP(held, r)
	if held.Status() == http.StatusAccepted {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
		g.opts.Deleted(dctx, name, ref)
		cancel()
	}
	held.Send()
}
