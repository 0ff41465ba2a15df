package verify

import (
	"context"
	"encoding/json"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry"

	"github.com/mpak-oci/mpak/oci/claims"
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

// Options bound what is read, as they bound reading claims: a
// signature is a few kilobytes, and a version has a few of them.
type Options = claims.Options

// fetch reads d whole, refusing what is larger than the bound before
// asking for it; oras-go checks the size and digest of what arrives.
func fetch(ctx context.Context, t content.Fetcher, d ocispec.Descriptor, o Options) ([]byte, error) {
	if d.Size > o.MaxBlob {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d a signature may take", d.Digest, d.Size, o.MaxBlob)
	}
	return content.FetchAll(ctx, t, d)
}

func manifest(ctx context.Context, t content.Fetcher, d ocispec.Descriptor, o Options) (*ocispec.Manifest, error) {
	b, err := fetch(ctx, t, d, o)
	if err != nil {
		return nil, err
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", d.Digest, err)
	}
	return &m, nil
}
