package bundle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// PushOptions tunes uploads.
type PushOptions struct {
	Progress Progress
	// Concurrency bounds parallel blob uploads (default 3, as oras).
	Concurrency int
}

// PushResult says what a push did.
type PushResult struct {
	Plan *Plan
	Tag  string
	// Unchanged is true when the tag already held exactly this index.
	Unchanged bool
}

// Push uploads a prepared version in the order that keeps a registry
// consistent for readers: blobs, then platform manifests, then the index
// under its tag, so a failed push never leaves a half-published version.
// A tag that already points elsewhere is refused with a *VersionExistsError.
func Push(ctx context.Context, dst oras.Target, plan *Plan, tag string, opts PushOptions) (*PushResult, error) {
	res := &PushResult{Plan: plan, Tag: tag}
	if r, ok := dst.(*remote.Repository); ok {
		// Checked before uploading anything: registries that enforce it
		// (mpakd) would refuse the index only after every blob went up.
		if err := CheckPublication(r.Reference.Repository, tag, plan.Name, plan.Version); err != nil {
			return nil, err
		}
	}
	existing, err := dst.Resolve(ctx, tag)
	switch {
	case err == nil && existing.Digest == plan.Index.Digest:
		res.Unchanged = true
		return res, nil
	case err == nil:
		return nil, &VersionExistsError{Repository: repoName(dst), Tag: tag, Existing: existing.Digest, Pushed: plan.Index.Digest}
	case !errors.Is(err, errdef.ErrNotFound):
		return nil, fmt.Errorf("checking tag %s: %w", tag, err)
	}

	prog := progressOrNop(opts.Progress)
	g, gctx := errgroup.WithContext(ctx)
	limit := opts.Concurrency
	if limit <= 0 {
		limit = 3
	}
	g.SetLimit(limit)
	pushedConfig := map[string]bool{}
	for _, b := range plan.Builds {
		g.Go(func() error { return pushFile(gctx, dst, b.Layer, b.File.Path, prog) })
		// Builds of one version usually share manifest.json: upload it once.
		if !pushedConfig[b.Config.Digest.String()] {
			pushedConfig[b.Config.Digest.String()] = true
			g.Go(func() error { return pushBytes(gctx, dst, b.Config, b.ConfigJSON) })
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, b := range plan.Builds {
		if err := pushBytes(ctx, dst, b.Descriptor, b.ManifestJSON); err != nil {
			return nil, err
		}
	}
	if err := pushTagged(ctx, dst, plan.Index, plan.IndexJSON, tag); err != nil {
		if published, ok := refusedAsPublished(err); ok {
			// Another push of this version won the race the check above
			// lost: the registry kept the tag and says what it holds.
			return nil, &VersionExistsError{Repository: repoName(dst), Tag: tag, Existing: published, Pushed: plan.Index.Digest}
		}
		return nil, err
	}
	return res, nil
}

// refusedAsPublished recognises a registry's refusal to move a published
// tag (mpakd answers 409 with the published digest in the error's detail).
func refusedAsPublished(err error) (digest.Digest, bool) {
	var resp *errcode.ErrorResponse
	if !errors.As(err, &resp) || resp.StatusCode != http.StatusConflict {
		return "", false
	}
	for _, e := range resp.Errors {
		detail, _ := e.Detail.(map[string]any)
		if s, _ := detail["published"].(string); s != "" {
			if d, err := digest.Parse(s); err == nil {
				return d, true
			}
		}
	}
	return "", false
}

func pushFile(ctx context.Context, dst oras.Target, desc ocispec.Descriptor, path string, prog Progress) error {
	name := desc.Annotations[ocispec.AnnotationTitle]
	if ok, err := dst.Exists(ctx, desc); err != nil {
		return fmt.Errorf("checking %s: %w", name, err)
	} else if ok {
		prog.Skip(desc, name)
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// The file was hashed when the plan was made; the registry re-checks the
	// digest, so a file changed since then fails here instead of publishing.
	if err := dst.Push(ctx, desc, prog.Track(desc, name, f)); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		return fmt.Errorf("uploading %s: %w", name, err)
	}
	return nil
}

func pushBytes(ctx context.Context, dst oras.Target, desc ocispec.Descriptor, data []byte) error {
	if ok, err := dst.Exists(ctx, desc); err != nil {
		return fmt.Errorf("checking %s: %w", desc.Digest, err)
	} else if ok {
		return nil
	}
	if err := dst.Push(ctx, desc, bytes.NewReader(data)); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		return fmt.Errorf("uploading %s %s: %w", desc.MediaType, desc.Digest, err)
	}
	return nil
}

// pushTagged writes the index under its tag in one request where the target
// allows it, so the tag appears only once the index is stored.
func pushTagged(ctx context.Context, dst oras.Target, desc ocispec.Descriptor, data []byte, tag string) error {
	if rp, ok := dst.(registry.ReferencePusher); ok {
		if err := rp.PushReference(ctx, desc, bytes.NewReader(data), tag); err != nil {
			return fmt.Errorf("publishing index as %s: %w", tag, err)
		}
		return nil
	}
	if err := pushBytes(ctx, dst, desc, data); err != nil {
		return err
	}
	if err := dst.Tag(ctx, desc, tag); err != nil {
		return fmt.Errorf("tagging %s: %w", tag, err)
	}
	return nil
}

// repoName names the target in messages when it is a remote repository.
func repoName(t any) string {
	if r, ok := t.(*remote.Repository); ok {
		return r.Reference.Registry + "/" + r.Reference.Repository
	}
	return "the target"
}
