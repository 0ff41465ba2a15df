package referrer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"
)

// Blob is one layer of an artifact.
type Blob struct {
	MediaType   string
	Data        []byte
	Annotations map[string]string
}

// Artifact is what Attach pushes: an image manifest with artifactType, an
// empty config of that media type, the blobs as layers and the
// annotations.
type Artifact struct {
	ArtifactType string
	Blobs        []Blob
	Annotations  map[string]string
}

// Target is a repository Attach can push to and list referrers in, such
// as oras-go's *remote.Repository.
type Target interface {
	content.Pusher
	content.Fetcher
	registry.ReferrerLister
}

// Options tune Attach. The zero value is ready to use.
type Options struct {
	// Attempts bounds the pushes of the manifest when a concurrent writer
	// keeps overwriting the fallback index (default 10).
	Attempts int
	// Backoff is the first wait between attempts, doubled with jitter each
	// time (default 50ms).
	Backoff time.Duration
	// Created is the manifest's org.opencontainers.image.created (default
	// now), unless Annotations set one.
	Created time.Time
}

// subjects serialises attaches to one subject within this process.
var subjects sync.Map // string -> *sync.Mutex

// Attach pushes a as a referrer of subject and returns its manifest's
// descriptor once the subject's referrers list it.
func Attach(ctx context.Context, repo Target, subject ocispec.Descriptor, a Artifact, opts Options) (ocispec.Descriptor, error) {
	if a.ArtifactType == "" {
		return ocispec.Descriptor{}, errors.New("attaching a referrer: no artifact type: name what it is, e.g. application/vnd.mpak.scan.v1+json")
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 10
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 50 * time.Millisecond
	}
	if opts.Created.IsZero() {
		opts.Created = time.Now().UTC()
	}
	manifest, layers, err := pack(subject, a, opts.Created)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, ArtifactType: a.ArtifactType,
		Digest: digest.FromBytes(manifest), Size: int64(len(manifest)), Annotations: a.Annotations}

	mu, _ := subjects.LoadOrStore(subject.Digest.String(), &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()

	push := func(d ocispec.Descriptor, data []byte) error {
		err := repo.Push(ctx, d, bytes.NewReader(data))
		var gc *remote.ReferrersError
		switch {
		case err == nil, errors.Is(err, errdef.ErrAlreadyExists):
			return nil
		case errors.As(err, &gc) && gc.IsReferrersIndexDelete():
			// The manifest and the new fallback index are in; deleting the
			// index it replaced failed, typically because a concurrent
			// writer deleted it first. Whether ours is listed is checked
			// next.
			return nil
		}
		return fmt.Errorf("attaching %s to %s: pushing %s: %w", a.ArtifactType, subject.Digest, d.MediaType, err)
	}
	if err := push(configOf(a), ocispec.DescriptorEmptyJSON.Data); err != nil {
		return ocispec.Descriptor{}, err
	}
	for i, l := range layers {
		if err := push(l, a.Blobs[i].Data); err != nil {
			return ocispec.Descriptor{}, err
		}
	}
	wait := opts.Backoff
	for attempt := 1; ; attempt++ {
		start := time.Now()
		if err := push(desc, manifest); err != nil {
			return ocispec.Descriptor{}, err
		}
		// Listed once is not enough on a fallback-tag registry: a writer
		// that read the index before our push may still replace it. Listed
		// again after a pause longer than such a read-modify-write takes
		// (a few times our own push), it stays: later writers read it.
		settle := max(3*time.Since(start), opts.Backoff)
		listed, err := Listed(ctx, repo, subject, desc.Digest)
		if err == nil && listed {
			if err := sleep(ctx, settle); err != nil {
				return ocispec.Descriptor{}, err
			}
			listed, err = Listed(ctx, repo, subject, desc.Digest)
		}
		if err != nil {
			return ocispec.Descriptor{}, err
		}
		if listed {
			return desc, nil
		}
		if attempt == opts.Attempts {
			return ocispec.Descriptor{}, fmt.Errorf("attaching %s to %s: after %d pushes the registry's referrers of it still do not list %s; concurrent writers keep overwriting its fallback index (tag %s): retry later",
				a.ArtifactType, subject.Digest, attempt, desc.Digest, FallbackTag(subject.Digest))
		}
		if err := sleep(ctx, wait/2+rand.N(wait)); err != nil {
			return ocispec.Descriptor{}, err
		}
		wait *= 2
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// pack builds the manifest of a and its layer descriptors.
func pack(subject ocispec.Descriptor, a Artifact, created time.Time) ([]byte, []ocispec.Descriptor, error) {
	annotations := map[string]string{ocispec.AnnotationCreated: created.Format(time.RFC3339)}
	for k, v := range a.Annotations {
		annotations[k] = v
	}
	layers := make([]ocispec.Descriptor, 0, len(a.Blobs))
	for _, b := range a.Blobs {
		if b.MediaType == "" {
			return nil, nil, fmt.Errorf("attaching %s: a blob has no media type", a.ArtifactType)
		}
		d := content.NewDescriptorFromBytes(b.MediaType, b.Data)
		d.Annotations = b.Annotations
		layers = append(layers, d)
	}
	if len(layers) == 0 {
		// The image spec wants at least one layer; the empty blob stands in.
		layers = append(layers, ocispec.DescriptorEmptyJSON)
	}
	s := subject
	m := ocispec.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: a.ArtifactType,
		Config:       configOf(a),
		Layers:       layers,
		Subject:      &ocispec.Descriptor{MediaType: s.MediaType, Digest: s.Digest, Size: s.Size},
		Annotations:  annotations,
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, nil, err
	}
	return b, layers, nil
}

// configOf is the empty JSON blob typed as the artifact. The spec's empty
// config type would do for registries that read artifactType, but some
// (go-containerregistry's, older Harbor) derive a referrer's artifactType
// from its config media type; typing the config lists it right on both.
func configOf(a Artifact) ocispec.Descriptor {
	d := ocispec.DescriptorEmptyJSON
	d.MediaType = a.ArtifactType
	d.Data = nil
	return d
}
