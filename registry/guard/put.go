package guard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"

	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/resolve"
	"github.com/mpak-oci/mpak/registry/catalog"
	"github.com/mpak-oci/mpak/registry/internal/ociapi"
)

// maxManifest is the largest manifest the guard reads: the distribution
// spec's recommended minimum limit, and distribution's own.
const maxManifest = 4 << 20

// publishTimeout bounds indexing after the registry stored a version; it
// runs even if the pushing client has gone away.
const publishTimeout = time.Minute

// put stores a manifest under a tag only if that keeps every published
// version as it was published.
func (g *guard) put(w http.ResponseWriter, r *http.Request, name, ref string) {
	if tags := r.URL.Query()["tag"]; len(tags) > 0 {
		g.refuse(w, r, http.StatusBadRequest, ociapi.CodeUnsupported,
			"manifest PUTs with ?tag= are not supported by mpakd: push the manifest to each tag in turn (PUT /v2/"+name+"/manifests/<tag>)", nil)
		return
	}
	if _, err := digest.Parse(ref); err == nil {
		g.next.ServeHTTP(w, r) // a digest moves no tag
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxManifest+1))
	if err != nil {
		ociapi.WriteError(w, http.StatusBadRequest, ociapi.CodeManifestInvalid, "reading the manifest: "+err.Error(), nil)
		return
	}
	if len(body) > maxManifest {
		g.refuse(w, r, http.StatusRequestEntityTooLarge, ociapi.CodeManifestInvalid,
			fmt.Sprintf("the manifest is over %d bytes, the limit of this registry", maxManifest), nil)
		return
	}
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))

	ctx := r.Context()
	repo, err := g.opts.Repos.Repository(ctx, name)
	if err != nil {
		g.refuse(w, r, http.StatusBadRequest, ociapi.CodeNameInvalid, "repository "+strconv.Quote(name)+": "+err.Error(), nil)
		return
	}
	root := ocispec.Descriptor{MediaType: mediaTypeOf(body, r.Header.Get("Content-Type")), Digest: digest.FromBytes(body), Size: int64(len(body))}
	isBundle, err := g.checkBundle(ctx, repo, name, ref, root, body)
	if err != nil {
		g.refuseFor(w, r, err, "mpakd could not read what "+name+":"+ref+" refers to")
		return
	}
	if !isBundle && !resolve.IsSemverTag(ref) {
		g.next.ServeHTTP(w, r) // neither a bundle nor a version: not ours to guard
		return
	}

	lctx, cancel := context.WithTimeout(ctx, g.opts.LockTimeout)
	unlock, err := g.opts.Locker.Lock(lctx, catalog.VersionLockKey(name, ref))
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return // the client went away
		}
		w.Header().Set("Retry-After", "1")
		g.refuse(w, r, http.StatusServiceUnavailable, ociapi.CodeUnavailable,
			name+":"+ref+" is being published by another push that has not finished: try again shortly", nil)
		return
	}
	defer unlock()
	if err := g.checkTag(ctx, repo, name, ref, root, isBundle); err != nil {
		g.refuseFor(w, r, err, "mpakd could not check what "+name+":"+ref+" holds")
		return
	}
	held := ociapi.Hold(w)
	g.next.ServeHTTP(held, r)
	if held.Status() == http.StatusCreated && isBundle {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
		g.opts.Published(pctx, name, ref)
		cancel()
	}
	held.Send()
}

// checkBundle tells whether the manifest is a version of a bundle and, if
// so, that it is published where its manifest.json says.
func (g *guard) checkBundle(ctx context.Context, repo registry.Repository, name, ref string, root ocispec.Descriptor, body []byte) (bool, error) {
	v, err := bundle.ParseVersion(ref, root, body)
	if err != nil {
		return false, nil // not an OCI index or manifest of builds: the registry judges it
	}
	isBundle, err := bundle.IsBundle(ctx, repo, v, body)
	if errors.Is(err, errdef.ErrNotFound) {
		return false, &refusal{http.StatusBadRequest, ociapi.CodeManifestUnknown,
			"the index refers to a manifest this repository does not have (" + err.Error() + "): push the platform manifests before the index", nil}
	}
	if err != nil || !isBundle {
		return false, err
	}
	d, err := bundle.ReadDeclared(ctx, repo, v, body)
	if errors.Is(err, errdef.ErrNotFound) {
		return false, &refusal{http.StatusBadRequest, ociapi.CodeManifestUnknown,
			"the bundle refers to content this repository does not have (" + err.Error() + "): push its blobs and manifests first", nil}
	}
	if err != nil {
		return false, &refusal{http.StatusBadRequest, ociapi.CodeManifestInvalid, name + ":" + ref + " is not a valid MCP bundle version: " + err.Error(), nil}
	}
	if err := bundle.CheckPublication(name, ref, d.Manifest.Name, d.Manifest.Version); err != nil {
		return false, &refusal{http.StatusBadRequest, ociapi.CodeManifestInvalid, err.Error(),
			map[string]string{"repository": name, "tag": ref, "name": d.Manifest.Name, "version": d.Manifest.Version}}
	}
	return true, nil
}

// checkTag decides, holding the version's lock, whether ref may name root:
// not if it holds (or the catalog says it held) a published bundle.
func (g *guard) checkTag(ctx context.Context, repo registry.Repository, name, ref string, root ocispec.Descriptor, isBundle bool) error {
	existing, err := repo.Resolve(ctx, ref)
	switch {
	case err == nil && existing.Digest == root.Digest:
		return nil // the same bytes again: a no-op the registry confirms
	case err == nil:
		_, held, err := bundleAt(ctx, repo, existing.Digest.String())
		if err != nil {
			return err
		}
		if held {
			return immutable(name, ref, existing.Digest, root.Digest)
		}
	case !errors.Is(err, errdef.ErrNotFound):
		return err
	}
	if g.opts.Catalog == nil {
		return nil
	}
	if v, err := g.opts.Catalog.Version(ctx, name, resolve.VersionOf(ref)); err == nil && v.Tag == ref && v.Digest != root.Digest.String() {
		if existing.Digest == "" {
			return &refusal{http.StatusConflict, ociapi.CodeDenied,
				fmt.Sprintf("%s:%s was published as %s and the registry no longer holds it (deleted outside mpakd?): "+
					"a version number is never reused, so pins and lock files cannot silently change meaning; bump the version in manifest.json and push again "+
					"(an operator who deleted it on purpose runs `mpakd reindex` first)", name, ref, v.Digest),
				conflictDetail(name, ref, digest.Digest(v.Digest), root.Digest)}
		}
	}
	if !isBundle {
		if _, err := g.opts.Catalog.Bundle(ctx, name); err == nil {
			return &refusal{http.StatusBadRequest, ociapi.CodeManifestInvalid,
				fmt.Sprintf("%s holds MCP bundles, where a tag like %s names a bundle version (latest and ranges pick among them): "+
					"push a bundle of that version here, or this artifact to another repository or a tag that is not a semantic version", name, ref), nil}
		}
	}
	return nil
}

// bundleAt reads the manifest reference names and tells whether it is a
// bundle version (or a build of one).
func bundleAt(ctx context.Context, repo registry.Repository, reference string) (ocispec.Descriptor, bool, error) {
	desc, rc, err := repo.Manifests().FetchReference(ctx, reference)
	if err != nil {
		return desc, false, err
	}
	defer rc.Close()
	if desc.Size > maxManifest {
		return desc, false, nil
	}
	data, err := io.ReadAll(io.LimitReader(rc, maxManifest))
	if err != nil {
		return desc, false, err
	}
	v, err := bundle.ParseVersion(reference, desc, data)
	if err != nil {
		return desc, false, nil
	}
	isBundle, err := bundle.IsBundle(ctx, repo, v, data)
	if errors.Is(err, errdef.ErrNotFound) {
		// An index whose builds are gone is no version anyone can pull.
		return desc, false, nil
	}
	return desc, isBundle, err
}

// immutable is the refusal of a push that would move a published tag.
func immutable(name, ref string, published, pushed digest.Digest) error {
	return &refusal{http.StatusConflict, ociapi.CodeDenied,
		fmt.Sprintf("%s:%s is already published as %s and published versions are immutable (this push is %s): "+
			"bump the version in manifest.json and push again; to withdraw the published one, yank it (mpak bundle yank)", name, ref, published, pushed),
		conflictDetail(name, ref, published, pushed)}
}

func conflictDetail(name, ref string, published, pushed digest.Digest) map[string]string {
	return map[string]string{"repository": name, "tag": ref, "published": published.String(), "pushed": pushed.String()}
}

// refuseFor answers err: a rule's refusal as it is, anything else as the
// registry failing to answer what (a check) needed.
func (g *guard) refuseFor(w http.ResponseWriter, r *http.Request, err error, what string) {
	var e *refusal
	if errors.As(err, &e) {
		g.refuse(w, r, e.status, e.code, e.message, e.detail)
		return
	}
	g.refuse(w, r, http.StatusBadGateway, ociapi.CodeUnavailable, what+": "+err.Error(), nil)
}

// refusal is a rule's answer to a client.
type refusal struct {
	status  int
	code    string
	message string
	detail  any
}

func (e *refusal) Error() string { return e.message }

// mediaTypeOf is the manifest's own mediaType, else the Content-Type the
// client sent.
func mediaTypeOf(body []byte, contentType string) string {
	var m struct {
		MediaType string `json:"mediaType"`
	}
	if json.Unmarshal(body, &m) == nil && m.MediaType != "" {
		return m.MediaType
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt
}
