package referrers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"

	"github.com/mpak-oci/mpak/oci/referrer"
)

// FallbackTag is the tag the distribution spec assigns to the referrers
// index of subject (see referrer.FallbackTag).
func FallbackTag(subject digest.Digest) string { return referrer.FallbackTag(subject) }

// specsVersion is the schemaVersion every OCI index carries.
var specsVersion = specs.Versioned{SchemaVersion: 2}

// fallbackIndexes reads and rewrites fallback indexes. A rewrite is a
// read-modify-write of one tag, so concurrent pushes of referrers to one
// subject would drop each other's entries: each rewrite holds the
// subject's lock, which is in-process by default and, given the catalog's
// Locker, shared by every mpakd replica.
type fallbackIndexes struct {
	locker Locker
}

// Locker holds a key exclusively (index.Store.Lock, or keylock.Locks).
type Locker interface {
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

func (f *fallbackIndexes) lock(ctx context.Context, repository string, subject digest.Digest) (func(), error) {
	return f.locker.Lock(ctx, "referrers\x00"+repository+"\x00"+subject.String())
}

// read returns the fallback index of subject and the referrers it lists;
// a zero descriptor and no referrers when there is none.
func read(ctx context.Context, repo registry.Repository, subject digest.Digest) (ocispec.Descriptor, []ocispec.Descriptor, error) {
	desc, rc, err := repo.Manifests().FetchReference(ctx, FallbackTag(subject))
	if errors.Is(err, errdef.ErrNotFound) {
		return ocispec.Descriptor{}, nil, nil
	}
	if err != nil {
		return ocispec.Descriptor{}, nil, fmt.Errorf("fetching the referrers index of %s: %w", subject, err)
	}
	defer rc.Close()
	// Some registries (GitLab) resolve the tag as the digest itself and
	// return the subject; something else tagged there is not a list either.
	if desc.Digest == subject || desc.MediaType != ocispec.MediaTypeImageIndex {
		return ocispec.Descriptor{}, nil, nil
	}
	if desc.Size > maxManifestBytes {
		return ocispec.Descriptor{}, nil, fmt.Errorf("the referrers index of %s is %d bytes, over the %d byte limit", subject, desc.Size, maxManifestBytes)
	}
	b, err := content.ReadAll(rc, desc)
	if err != nil {
		return ocispec.Descriptor{}, nil, fmt.Errorf("reading the referrers index of %s: %w", subject, err)
	}
	var index ocispec.Index
	if err := json.Unmarshal(b, &index); err != nil {
		return ocispec.Descriptor{}, nil, fmt.Errorf("the referrers index of %s (tag %s) is not an image index: %w", subject, FallbackTag(subject), err)
	}
	return desc, index.Manifests, nil
}

// add lists ref among the referrers of subject; an entry with ref's digest
// is replaced.
func (f *fallbackIndexes) add(ctx context.Context, repo registry.Repository, name string, subject digest.Digest, ref ocispec.Descriptor, log *slog.Logger) error {
	return f.update(ctx, repo, name, subject, log, func(list []ocispec.Descriptor) []ocispec.Descriptor {
		out := make([]ocispec.Descriptor, 0, len(list)+1)
		for _, d := range list {
			if d.Digest != ref.Digest {
				out = append(out, d)
			}
		}
		return append(out, ref)
	})
}

// remove drops gone from the referrers of subject.
func (f *fallbackIndexes) remove(ctx context.Context, repo registry.Repository, name string, subject, gone digest.Digest, log *slog.Logger) error {
	return f.update(ctx, repo, name, subject, log, func(list []ocispec.Descriptor) []ocispec.Descriptor {
		out := make([]ocispec.Descriptor, 0, len(list))
		for _, d := range list {
			if d.Digest != gone {
				out = append(out, d)
			}
		}
		return out
	})
}

// update rewrites the fallback index of subject with change applied, then
// deletes the superseded index (as oras-go does) so rewrites leave no
// untagged manifests behind.
func (f *fallbackIndexes) update(ctx context.Context, repo registry.Repository, name string, subject digest.Digest, log *slog.Logger, change func([]ocispec.Descriptor) []ocispec.Descriptor) error {
	unlock, err := f.lock(ctx, name, subject)
	if err != nil {
		return fmt.Errorf("waiting to update the referrers index of %s: %w", subject, err)
	}
	defer unlock()
	old, list, err := read(ctx, repo, subject)
	if err != nil {
		return err
	}
	updated := change(list)
	if len(updated) == 0 && len(list) == 0 {
		// Nothing to list and no list to change: writing an empty index
		// would only add a tag (to an upstream that keeps referrers its
		// own way, say).
		return nil
	}
	b, err := json.Marshal(ocispec.Index{
		Versioned: specsVersion,
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: updated,
	})
	if err != nil {
		return err
	}
	desc := content.NewDescriptorFromBytes(ocispec.MediaTypeImageIndex, b)
	if desc.Digest == old.Digest {
		return nil
	}
	if err := repo.Manifests().PushReference(ctx, desc, bytes.NewReader(b), FallbackTag(subject)); err != nil {
		return fmt.Errorf("pushing the referrers index of %s: %w", subject, err)
	}
	// An empty index has the same digest for every subject: deleting one
	// by digest would untag the others, so empty indexes stay.
	if old.Digest != "" && len(list) > 0 {
		if err := repo.Manifests().Delete(ctx, old); err != nil && !errors.Is(err, errdef.ErrNotFound) {
			log.Warn("deleting a superseded referrers index failed; it stays as an untagged manifest",
				"repository", name, "subject", subject, "index", old.Digest, "err", err)
		}
	}
	return nil
}
