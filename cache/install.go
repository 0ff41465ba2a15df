package cache

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/mpak-oci/mpak/mcpb"
)

// Install makes the bundle with layer digest d available, calling fetch to
// write the .mcpb bytes when it is not cached yet. The bytes are verified
// against d (and meta.Size, when set) as they are written, the archive is
// opened with mcpb's safety limits and extracted, and only then is the entry
// published. On error nothing is left that Lookup returns.
//
// When the bundle is already cached, or another process publishes it first,
// the existing entry is returned and its Meta is kept.
func (c *Cache) Install(ctx context.Context, d digest.Digest, meta Meta, fetch func(w io.Writer) error) (*Entry, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("cache: %q is not a usable bundle digest: %w (expected sha256:<64 hex digits>)", d, err)
	}
	if e, ok := c.Lookup(d); ok {
		return e, nil
	}
	tmp, err := c.tempDir()
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp(tmp, "install-"+d.Encoded()[:12]+"-")
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	// Whatever happens, the work directory goes: after a publish it holds
	// only the downloaded .mcpb, after a failure a partial tree. Should we
	// be killed first, the lock taken by claim dies with us, and the next
	// Open removes the directory.
	own := claim(work)
	defer own.removeDir(work)

	file := filepath.Join(work, "bundle.mcpb")
	if meta.Size, err = download(ctx, file, d, meta.Size, fetch); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	stage := filepath.Join(work, "entry")
	if err := unpack(file, stage, d, &meta, c.limits); err != nil {
		return nil, err
	}
	return c.publish(stage, d)
}

// InstallFile installs the local .mcpb at path, for `run --local`. A file
// whose digest is already cached is not extracted again.
func (c *Cache) InstallFile(path string, meta Meta) (*Entry, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	d, size, err := hashFile(abs)
	if err != nil {
		return nil, err
	}
	if e, ok := c.Lookup(d); ok {
		return e, nil
	}
	if meta.Source == "" {
		meta.Source = abs
	}
	meta.Size = size
	// Install hashes again while copying: a file rewritten in between is
	// refused rather than cached under the wrong digest.
	return c.Install(context.Background(), d, meta, func(w io.Writer) error {
		f, err := os.Open(abs)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	})
}

func hashFile(path string) (digest.Digest, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("open bundle: %w", err)
	}
	defer f.Close()
	dg := digest.Canonical.Digester()
	n, err := io.Copy(dg.Hash(), f)
	if err != nil {
		return "", 0, fmt.Errorf("read bundle %s: %w", path, err)
	}
	return dg.Digest(), n, nil
}

// download writes fetch's bytes to the new file at path and verifies them,
// returning their size.
func download(ctx context.Context, path string, d digest.Digest, size int64, fetch func(io.Writer) error) (int64, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, fmt.Errorf("cache: %w", err)
	}
	vw := newVerifyingWriter(ctx, f, d, size)
	ferr := fetch(vw)
	cerr := f.Close()
	switch {
	case ferr != nil:
		return 0, fmt.Errorf("download bundle %s: %w", d, ferr)
	case cerr != nil:
		return 0, fmt.Errorf("cache: writing bundle %s: %w", d, cerr)
	}
	if err := vw.verify(); err != nil {
		return 0, err
	}
	return vw.n, nil
}

// unpack opens the verified .mcpb at file with mcpb's limits and builds a
// complete entry in the new directory stage: the tree, then meta.json.
func unpack(file, stage string, d digest.Digest, meta *Meta, limits mcpb.Limits) error {
	opts := mcpb.OpenOptions{Limits: limits}
	if d.Algorithm() == digest.SHA256 {
		opts.VerifiedSHA256 = d.Encoded() // download just checked it
	}
	a, err := mcpb.Open(file, opts)
	if err != nil {
		return fmt.Errorf("bundle %s: %w", d, err)
	}
	defer a.Close()
	tree := filepath.Join(stage, treeDir)
	if err := os.MkdirAll(tree, 0o755); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if err := a.Extract(tree); err != nil {
		return fmt.Errorf("bundle %s: %w", d, err)
	}
	meta.Name, meta.Version = a.Manifest.Name, a.Manifest.Version
	meta.UnpackedSize = 0
	for _, f := range a.Files {
		meta.UnpackedSize += f.Size
	}
	meta.InstalledAt = time.Now().UTC()
	data, err := json.MarshalIndent(record{Digest: d, Meta: *meta}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(stage, metaFile), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}
