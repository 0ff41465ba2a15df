package bundle

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"
)

// CopyTarget is a repository Copy reads from or writes to, such as
// oras-go's *remote.Repository: content, tags, and referrers (through the
// API or the fallback tag).
type CopyTarget interface {
	oras.Target
	content.PredecessorFinder
	registry.TagLister
}

// CopyOptions tune Copy. The zero value is ready to use.
type CopyOptions struct {
	// Tag is the tag to give the version at the destination (default: the
	// reference copied when it is a tag).
	Tag string
	// Progress reports blob transfers; default none.
	Progress Progress
}

// CopyResult says what Copy did.
type CopyResult struct {
	Root ocispec.Descriptor
	Tag  string
	// Referrers counts the referrer manifests found at the source, at any
	// depth (signatures, attestations, SBOMs, scan reports, and what refers
	// to them), and Legacy cosign's tag-attached images, all now at the
	// destination too.
	Referrers int
	Legacy    []string
}

// Copy copies the resolved version v from src to dst: the index, every
// platform manifest and blob, and everything attached to the index or to a
// platform manifest: OCI referrers, at any depth (found through the
// referrers API or the sha256-<hex> fallback tag at the source, written the
// way the destination supports), and cosign's legacy sha256-<hex>.sig, .att
// and .sbom images. Digests are unchanged, so signatures still verify at
// the destination. Blobs and manifests the destination has already are not
// sent again. It copies v.Root by digest: the version the caller resolved
// (and warned about) is the one copied, even if its tag moves meanwhile.
func Copy(ctx context.Context, src, dst CopyTarget, v *Version, opts CopyOptions) (*CopyResult, error) {
	root, reference := v.Root, v.Reference
	tag := opts.Tag
	if tag == "" && !strings.Contains(reference, ":") {
		tag = reference
	}
	res := &CopyResult{Root: root, Tag: tag}
	progress := opts.Progress
	if progress == nil {
		progress = noProgress{}
	}
	var mu sync.Mutex
	counted := map[string]bool{}
	graph := oras.ExtendedCopyGraphOptions{
		CopyGraphOptions: oras.CopyGraphOptions{
			OnCopySkipped: func(_ context.Context, d ocispec.Descriptor) error {
				progress.Skip(d, d.Digest.Encoded()[:12])
				return nil
			},
		},
		// Every referrer of a node, whatever its type, and theirs in turn.
		FindPredecessors: func(ctx context.Context, s content.ReadOnlyGraphStorage, d ocispec.Descriptor) ([]ocispec.Descriptor, error) {
			preds, err := src.Predecessors(ctx, d)
			if err != nil {
				return nil, err
			}
			mu.Lock()
			for _, p := range preds {
				counted[p.Digest.String()] = true
			}
			mu.Unlock()
			return preds, nil
		},
	}

	// The nodes things can be attached to: the root and, for an index, its
	// platform manifests. ExtendedCopyGraph copies each node's graph down
	// and its referrers' graphs up.
	nodes := []ocispec.Descriptor{root}
	if root.MediaType == ocispec.MediaTypeImageIndex {
		children, err := content.Successors(ctx, src, root)
		if err != nil {
			return nil, fmt.Errorf("copying %s: reading the index: %w", reference, err)
		}
		nodes = append(nodes, children...)
	}
	for _, n := range nodes {
		if err := oras.ExtendedCopyGraph(ctx, src, dst, n, graph); err != nil {
			return nil, fmt.Errorf("copying %s (%s) and its referrers: %w", reference, n.Digest, err)
		}
	}
	res.Referrers = len(counted)

	for _, n := range nodes {
		legacy, err := copyLegacy(ctx, src, dst, n)
		if err != nil {
			return nil, fmt.Errorf("copying %s: %w", reference, err)
		}
		res.Legacy = append(res.Legacy, legacy...)
	}
	if tag != "" {
		if err := dst.Tag(ctx, root, tag); err != nil {
			return nil, fmt.Errorf("tagging %s as %s at the destination: %w", root.Digest, tag, err)
		}
	}
	return res, nil
}

// copyLegacy copies cosign's tag-attached images of d (sha256-<hex>.sig,
// .att, .sbom) that the source has, under the same tags.
func copyLegacy(ctx context.Context, src, dst CopyTarget, d ocispec.Descriptor) ([]string, error) {
	var copied []string
	base := strings.Replace(d.Digest.String(), ":", "-", 1)
	for _, suffix := range []string{".sig", ".att", ".sbom"} {
		tag := base + suffix
		if _, err := src.Resolve(ctx, tag); err != nil {
			if errors.Is(err, errdef.ErrNotFound) {
				continue
			}
			return nil, fmt.Errorf("looking for %s: %w", tag, err)
		}
		if _, err := oras.Copy(ctx, src, tag, dst, tag, oras.DefaultCopyOptions); err != nil {
			return nil, fmt.Errorf("copying %s: %w", tag, err)
		}
		copied = append(copied, tag)
	}
	return copied, nil
}
