package bundle

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/mcpb"
)

// maxWholeLayer bounds the .mcpb downloaded whole to find its
// manifest.json, where the source cannot read byte ranges.
const maxWholeLayer = 32 << 20

// LayerManifest reads manifest.json out of a .mcpb layer without
// downloading the bundle: from a registry, by byte ranges (the zip's end
// and central directory, then the one entry), a few KiB whatever the
// bundle's size. The registry checked the blob's digest when it stored it.
func LayerManifest(ctx context.Context, src content.Fetcher, layer ocispec.Descriptor) ([]byte, error) {
	ra, err := layerReaderAt(ctx, src, layer)
	if err != nil {
		return nil, err
	}
	a, err := mcpb.Read(ra, layer.Size, mcpb.OpenOptions{VerifiedSHA256: layer.Digest.Encoded()})
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", layer.Digest, err)
	}
	rc, err := a.Open(mcpb.ManifestFile)
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", layer.Digest, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("layer %s: reading %s: %w", layer.Digest, mcpb.ManifestFile, err)
	}
	return b, nil
}

func layerReaderAt(ctx context.Context, src content.Fetcher, layer ocispec.Descriptor) (io.ReaderAt, error) {
	if r, ok := src.(*remote.Repository); ok {
		return &rangeReader{ctx: ctx, repo: r, layer: layer}, nil
	}
	if layer.Size > maxWholeLayer {
		return nil, fmt.Errorf("layer %s is %d bytes: too large to read whole for its %s, and this store cannot read byte ranges", layer.Digest, layer.Size, mcpb.ManifestFile)
	}
	b, err := content.FetchAll(ctx, src, layer)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", layer.Digest, err)
	}
	return bytes.NewReader(b), nil
}

// rangeReader reads a registry blob by Range requests.
type rangeReader struct {
	ctx   context.Context
	repo  *remote.Repository
	layer ocispec.Descriptor
}

func (r *rangeReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= r.layer.Size {
		return 0, io.EOF
	}
	end := min(off+int64(len(p)), r.layer.Size) - 1
	scheme := "https"
	if r.repo.PlainHTTP {
		scheme = "http"
	}
	u := fmt.Sprintf("%s://%s/v2/%s/blobs/%s", scheme, r.repo.Reference.Host(), r.repo.Reference.Repository, r.layer.Digest)
	req, err := http.NewRequestWithContext(r.ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Range", "bytes="+strconv.FormatInt(off, 10)+"-"+strconv.FormatInt(end, 10))
	client := r.repo.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("reading %s at %d: %w", r.layer.Digest, off, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent {
		return 0, fmt.Errorf("reading %s at %d: the registry answered %s to a byte range request, want 206", r.layer.Digest, off, resp.Status)
	}
	want := int(end - off + 1)
	n, err := io.ReadFull(resp.Body, p[:want])
	if err != nil {
		return n, fmt.Errorf("reading %s at %d: %w", r.layer.Digest, off, err)
	}
	if want < len(p) {
		return n, io.EOF
	}
	return n, nil
}
