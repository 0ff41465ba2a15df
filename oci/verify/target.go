package verify

import (
	"context"
	"encoding/json"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry"
)

// Source is where referrers are listed and read from.
type Source interface {
	content.Fetcher
	registry.ReferrerLister
}

// Target is the repository a version and what is attached to it are read
// from, tags included: oras-go's registry.Repository is one.
type Target interface {
	Source
	Resolve(ctx context.Context, reference string) (ocispec.Descriptor, error)
}

// Options bound what is read. The zero value is ready to use.
type Options struct {
	// MaxBlob is the largest manifest or blob read (default 1 MiB): a
	// signature is a few kilobytes.
	MaxBlob int64
	// MaxArtifacts is how many referrers of a kind, and layers of a
	// signature image, are read at most (default 32).
	MaxArtifacts int
}

func (o Options) withDefaults() Options {
	if o.MaxBlob <= 0 {
		o.MaxBlob = 1 << 20
	}
	if o.MaxArtifacts <= 0 {
		o.MaxArtifacts = 32
	}
	return o
}

// fetch reads d whole, refusing what is larger than the bound before
// asking for it; oras-go checks the size and digest of what arrives.
func (o Options) fetch(ctx context.Context, t content.Fetcher, d ocispec.Descriptor) ([]byte, error) {
	if d.Size > o.MaxBlob {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d a signature may take", d.Digest, d.Size, o.MaxBlob)
	}
	return content.FetchAll(ctx, t, d)
}

func (o Options) manifest(ctx context.Context, t content.Fetcher, d ocispec.Descriptor) (*ocispec.Manifest, error) {
	b, err := o.fetch(ctx, t, d)
	if err != nil {
		return nil, err
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	return &m, nil
}
