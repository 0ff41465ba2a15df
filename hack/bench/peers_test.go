package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/file"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
)

// The two peers do the same job: publish a three-platform version as an
// image index under a tag, and pull one platform's .mcpb into a directory.

// mpakPush is `mpak bundle push`: Prepare opens and checks every file
// (zip directory, manifest.json, sha256 of the whole file), then Push
// uploads blobs, platform manifests and the tagged index.
func mpakPush(ctx context.Context, repo *remote.Repository, fx *fixture, tag string) error {
	files := make([]bundle.File, len(fx.Files))
	for i, f := range fx.Files {
		files[i] = bundle.File{Path: f.Path, Platform: f.Platform}
	}
	plan, err := bundle.Prepare(files, bundle.PrepareOptions{})
	if err != nil {
		return err
	}
	_, err = bundle.Push(ctx, repo, plan, tag, bundle.PushOptions{})
	return err
}

// orasCreated fixes the created annotation, as oras-go asks for
// reproducible manifests.
const orasCreated = "2025-01-01T00:00:00Z"

// orasConcurrency is the oras CLI's default --concurrency.
const orasConcurrency = 5

// orasPush is what `oras push` does for each platform, followed by an
// index as `oras manifest index create` makes one, with oras-go directly:
// hash every file (streaming), upload the blobs concurrently from the files
// after an existence check (as oras.Copy does), pack each platform
// manifest with oras.PackManifest (image-spec 1.1, our artifactType and
// config), then push the index under the tag with oras.TagBytes.
func orasPush(ctx context.Context, repo *remote.Repository, fx *fixture, tag string) error {
	type build struct {
		path          string
		layer, config ocispec.Descriptor
		configJSON    []byte
		platform      mediatypes.Platform
	}
	builds := make([]build, len(fx.Files))
	for i, f := range fx.Files {
		layer, err := hashFile(f.Path, mediatypes.Bundle)
		if err != nil {
			return err
		}
		builds[i] = build{
			path:       f.Path,
			layer:      layer,
			configJSON: f.Manifest,
			config: ocispec.Descriptor{
				MediaType: mediatypes.Config,
				Digest:    digest.FromBytes(f.Manifest),
				Size:      int64(len(f.Manifest)),
			},
			platform: f.Platform,
		}
	}

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(orasConcurrency)
	for _, b := range builds {
		g.Go(func() error {
			return pushIfAbsent(gctx, repo, b.layer, func() (io.ReadCloser, error) { return os.Open(b.path) })
		})
		g.Go(func() error {
			return pushIfAbsent(gctx, repo, b.config, func() (io.ReadCloser, error) {
				return io.NopCloser(bytes.NewReader(b.configJSON)), nil
			})
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}

	idx := ocispec.Index{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageIndex,
		ArtifactType: mediatypes.ArtifactType,
		Annotations:  map[string]string{ocispec.AnnotationCreated: orasCreated},
	}
	for _, b := range builds {
		desc, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, mediatypes.ArtifactType, oras.PackManifestOptions{
			Layers:              []ocispec.Descriptor{b.layer},
			ConfigDescriptor:    &b.config,
			ManifestAnnotations: map[string]string{ocispec.AnnotationCreated: orasCreated},
		})
		if err != nil {
			return fmt.Errorf("packing the %s manifest: %w", b.platform, err)
		}
		desc.Platform = b.platform.OCI()
		idx.Manifests = append(idx.Manifests, desc)
	}
	data, err := json.Marshal(idx)
	if err != nil {
		return err
	}
	if _, err := oras.TagBytes(ctx, repo, ocispec.MediaTypeImageIndex, data, tag); err != nil {
		return fmt.Errorf("pushing the index: %w", err)
	}
	return nil
}

// hashFile streams a file through sha256, as oras's file store does when
// a file is added, and names it by its base name.
func hashFile(path, mediaType string) (ocispec.Descriptor, error) {
	f, err := os.Open(path)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	return ocispec.Descriptor{
		MediaType:   mediaType,
		Digest:      digest.NewDigest(digest.SHA256, h),
		Size:        n,
		Annotations: map[string]string{ocispec.AnnotationTitle: filepath.Base(path)},
	}, nil
}

func pushIfAbsent(ctx context.Context, repo *remote.Repository, desc ocispec.Descriptor, open func() (io.ReadCloser, error)) error {
	if ok, err := repo.Exists(ctx, desc); err != nil {
		return err
	} else if ok {
		return nil
	}
	rc, err := open()
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := repo.Push(ctx, desc, rc); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		return fmt.Errorf("uploading %s: %w", desc.Digest, err)
	}
	return nil
}

// mpakPull is `mpak bundle pull --platform linux/amd64 --force -o dir`: resolve,
// select, fetch manifest and config, stream the layer to a temporary file
// while verifying it, open the zip to check manifest.json against the
// config, rename into place.
func mpakPull(ctx context.Context, repo *remote.Repository, tag, dir string) error {
	v, err := bundle.Resolve(ctx, repo, tag)
	if err != nil {
		return err
	}
	_, err = bundle.Pull(ctx, repo, v, bundle.PullOptions{Platform: linuxAMD64, Output: dir, Force: true})
	return err
}

// orasPull is `oras pull --platform linux/amd64 -o dir`: oras.Copy of the
// selected manifest's graph into oras-go's file store, which writes titled
// layers to dir (verifying their digest) and keeps the rest in memory.
func orasPull(ctx context.Context, repo *remote.Repository, tag, dir string) error {
	store, err := file.New(dir)
	if err != nil {
		return err
	}
	defer store.Close()
	opts := oras.DefaultCopyOptions
	opts.WithTargetPlatform(linuxAMD64.OCI())
	_, err = oras.Copy(ctx, repo, tag, store, tag, opts)
	return err
}
