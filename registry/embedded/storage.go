package embedded

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"

	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
	storagemiddleware "github.com/distribution/distribution/v3/registry/storage/driver/middleware"
	"github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2/registry"
)

// captureMiddleware is a storage "middleware" that changes nothing: it
// hands the driver distribution built to New, keyed by an ID in its
// options. A second driver built from the same configuration would do for
// the filesystem, but not for inmemory (each is its own store), nor
// promise the same view as the registry's for any other driver.
const captureMiddleware = "mpakd-capture-driver"

var captured sync.Map // ID → storagedriver.StorageDriver

func init() {
	err := storagemiddleware.Register(captureMiddleware, func(_ context.Context, d storagedriver.StorageDriver, opts map[string]any) (storagedriver.StorageDriver, error) {
		id, _ := opts["id"].(string)
		if id == "" {
			return nil, errors.New("no id")
		}
		captured.Store(id, d)
		return d, nil
	})
	if err != nil {
		panic(err)
	}
}

// v2Root is where distribution keeps everything in its driver
// (registry/storage/paths.go).
const v2Root = "/docker/registry/v2"

// Sizes are read through the storage driver rather than the filesystem:
// the same code then serves in-memory registries (tests) and any driver
// distribution may be given later, and sees exactly the paths the
// registry writes. Costs on the filesystem driver: a List per directory
// and a Stat per blob, which the quota caches per repository.

// Contents lists the distinct blobs linked into a repository (layers,
// configs, and manifests), each with its size: what the repository would
// free if it were deleted, counting shared blobs in full.
func (r *Registry) Contents(ctx context.Context, repository string) (map[digest.Digest]int64, error) {
	root, err := repoRoot(repository)
	if err != nil {
		return nil, err
	}
	blobs := map[digest.Digest]int64{}
	for _, dir := range []string{root + "/_layers", root + "/_manifests/revisions"} {
		err := r.driver.Walk(ctx, dir, func(fi storagedriver.FileInfo) error {
			// <dir>/<algorithm>/<hex>/link. A directory without its link
			// is a blob unlinked from the repository: not counted.
			rel, ok := strings.CutPrefix(fi.Path(), dir+"/")
			if !ok || fi.IsDir() {
				return nil
			}
			parts := strings.Split(rel, "/")
			if len(parts) != 3 || parts[2] != "link" {
				return nil
			}
			d := digest.NewDigestFromEncoded(digest.Algorithm(parts[0]), parts[1])
			if d.Validate() == nil {
				blobs[d] = 0
			}
			return nil
		})
		if err != nil && !notFound(err) {
			return nil, fmt.Errorf("listing %s: %w", dir, err)
		}
	}
	for d := range blobs {
		size, err := r.BlobSize(ctx, d)
		if err != nil {
			return nil, err
		}
		blobs[d] = size
	}
	return blobs, nil
}

// BlobSize is the size of a blob the registry holds in any repository;
// 0 when it holds none.
func (r *Registry) BlobSize(ctx context.Context, d digest.Digest) (int64, error) {
	if err := d.Validate(); err != nil {
		return 0, err
	}
	enc := d.Encoded()
	fi, err := r.driver.Stat(ctx, path.Join(v2Root, "blobs", d.Algorithm().String(), enc[:2], enc, "data"))
	if notFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// UploadSize is how many bytes an unfinished upload holds so far; 0 when
// there is no such upload (an ID distribution cannot have made included:
// the registry answers that request).
func (r *Registry) UploadSize(ctx context.Context, repository, id string) (int64, error) {
	if _, err := repoRoot(repository); err != nil {
		return 0, err
	}
	if !isUploadID(id) {
		return 0, nil
	}
	dir, err := uploadDir(repository, id)
	if err != nil {
		return 0, err
	}
	fi, err := r.driver.Stat(ctx, dir+"/data")
	if notFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// CancelUpload deletes an unfinished upload and what it holds. It is for
// an upload no request is writing to: one refused mid-stream cannot be
// cancelled through the API, whose state token no longer matches its
// size.
func (r *Registry) CancelUpload(ctx context.Context, repository, id string) error {
	dir, err := uploadDir(repository, id)
	if err != nil {
		return err
	}
	if err := r.driver.Delete(ctx, dir); err != nil && !notFound(err) {
		return err
	}
	return nil
}

// repoRoot is a repository's directory in the driver. The name is checked
// first: the filesystem driver joins paths, so "a/../../x" would escape.
func repoRoot(repository string) (string, error) {
	if err := (registry.Reference{Registry: internalHost, Repository: repository}).ValidateRepository(); err != nil {
		return "", err
	}
	return v2Root + "/repositories/" + repository, nil
}

func uploadDir(repository, id string) (string, error) {
	root, err := repoRoot(repository)
	if err != nil {
		return "", err
	}
	if !isUploadID(id) {
		return "", fmt.Errorf("invalid upload ID %q", id)
	}
	return root + "/_uploads/" + id, nil
}

// isUploadID accepts the UUIDs distribution names uploads with.
func isUploadID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i, c := range id {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}

func notFound(err error) bool {
	var nf storagedriver.PathNotFoundError
	return errors.As(err, &nf)
}
