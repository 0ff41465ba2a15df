// Package ingest turns what a registry holds into catalog entries. It
// reads only OCI indexes, manifests and configs (manifest.json), never
// whole bundle zips, so indexing a version costs a few small requests
// whatever the bundle's size.
//
// The catalog is keyed by repository and tag, never by what a config
// claims: a tag is indexed only when the bundle it holds declares that
// repository's name and that tag's version. Once indexed, a version's
// digest is what was published: a tag later found on other bytes (moved by
// something that bypassed mpakd) marks the version tampered and keeps the
// published digest.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"

	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/resolve"
	"github.com/mpak-oci/mpak/oci/verify"
	"github.com/mpak-oci/mpak/registry/catalog"
)

var (
	// ErrNotBundle is matched when a tag holds something other than an MCP
	// bundle (a container image, a signature): it is skipped, not indexed.
	ErrNotBundle = errors.New("not an MCP bundle")
	// ErrUnpublishable is matched when a tag holds a bundle that cannot be
	// a version there: its manifest.json names another bundle or version,
	// is invalid, or refers to content the registry does not have.
	ErrUnpublishable = errors.New("not a valid version at this tag")
)

// SkipError says why a tag was not indexed. It matches ErrNotBundle or
// ErrUnpublishable.
type SkipError struct {
	Repository, Tag string
	// Reason completes "repository:tag ...", e.g. "holds a container image".
	Reason    string
	NotBundle bool
	Err       error
}

func (e *SkipError) Error() string { return e.Repository + ":" + e.Tag + " " + e.Reason }

func (e *SkipError) Is(target error) bool {
	return e.NotBundle && target == ErrNotBundle || !e.NotBundle && target == ErrUnpublishable
}

func (e *SkipError) Unwrap() error { return e.Err }

// TamperedError is a version whose tag was found on other bytes than were
// published. The catalog keeps the published digest and marks the
// version.
type TamperedError struct {
	Repository, Tag string
	Published       string // the digest indexed when the version was published
	Found           string // the digest the tag names now
}

func (e *TamperedError) Error() string {
	return fmt.Sprintf("%s:%s was published as %s but the tag now names %s: moved outside mpakd; the catalog keeps the published digest and marks the version tampered",
		e.Repository, e.Tag, e.Published, e.Found)
}

// Repositories opens repositories by name.
type Repositories interface {
	Repository(ctx context.Context, name string) (registry.Repository, error)
}

// Indexer records versions in a store.
type Indexer struct {
	Store catalog.Store
	Repos Repositories
	Log   *slog.Logger
	// Now stamps IndexedAt (tests pin it).
	Now func() time.Time
	// AcceptMoved makes a tag found on other bytes than were published
	// replace the catalog's entry instead of marking it tampered: for an
	// operator who moved tags on purpose (mpakd reindex --accept-registry).
	AcceptMoved bool
	// ScannerKeys are the keys whose signed scan verdicts make a level
	// count (mpakd's own scanner key and --trusted-scanner-key).
	ScannerKeys []verify.Key

	pending pendingPushes
}

func (ix *Indexer) now() time.Time {
	if ix.Now != nil {
		return ix.Now()
	}
	return time.Now().UTC()
}

func (ix *Indexer) log() *slog.Logger {
	if ix.Log != nil {
		return ix.Log
	}
	return slog.Default()
}

// Tag indexes the version a tag names, holding the version's lock so that
// it never interleaves with a publication of it or another indexing.
func (ix *Indexer) Tag(ctx context.Context, repository, tag string) error {
	unlock, err := ix.Store.Lock(ctx, catalog.VersionLockKey(repository, tag))
	if err != nil {
		return err
	}
	defer unlock()
	return ix.TagHeld(ctx, repository, tag)
}

// TagHeld is Tag for a caller already holding the version's lock (mpakd
// publishing it).
func (ix *Indexer) TagHeld(ctx context.Context, repository, tag string) error {
	if !resolve.IsVersionTag(tag) {
		return nil
	}
	repo, err := ix.Repos.Repository(ctx, repository)
	if err != nil {
		return err
	}
	v, root, err := read(ctx, repo, repository, tag)
	if errors.Is(err, errdef.ErrNotFound) && root.Digest == "" {
		return ix.gone(ctx, repository, tag)
	}
	if err != nil {
		if (errors.Is(err, ErrNotBundle) || errors.Is(err, ErrUnpublishable)) && root.Digest != "" {
			// A published version's tag now holding something that is not
			// a valid version of it was moved all the same.
			return errors.Join(err, ix.checkMoved(ctx, repository, tag, root.Digest.String()))
		}
		return err
	}
	if err := ix.checkMoved(ctx, repository, tag, v.Digest); err != nil {
		return err
	}
	// Trust signals are extras: a registry that cannot list referrers
	// still gets its versions indexed, as unsigned.
	if t, err := readTrust(ctx, repo, root, ix.ScannerKeys); err != nil {
		ix.log().Warn("reading signatures, scan reports and yanks failed; indexed as unsigned", "repository", repository, "tag", tag, "err", err)
	} else {
		v.Signed, v.Level, v.LevelVerified, v.ScanReport, v.Provenance = t.signed, t.level, t.verified, t.report, t.claims
		if t.claimed > t.level {
			v.ClaimedLevel = t.claimed
		}
		v.Yanked, v.YankReason = t.yank.Yanked, t.yank.Reason
	}
	// A version indexed for the first time was published now, as far as
	// the catalog knows; the store keeps that time for as long as the
	// version holds this digest.
	v.IndexedAt = ix.now()
	v.PublishedAt = v.IndexedAt
	if err := ix.Store.PutVersion(ctx, v); err != nil {
		return fmt.Errorf("indexing %s:%s: %w", repository, tag, err)
	}
	ix.log().Info("indexed", "repository", repository, "version", v.Version, "digest", v.Digest, "builds", len(v.Builds))
	return nil
}

// gone drops the version published under tag, which the registry no
// longer has: the catalog follows deletes.
func (ix *Indexer) gone(ctx context.Context, repository, tag string) error {
	v, err := ix.Store.Version(ctx, repository, resolve.VersionOf(tag))
	if errors.Is(err, catalog.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if v.Tag != tag {
		return nil
	}
	if err := ix.Store.DeleteVersion(ctx, repository, v.Version); err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return err
	}
	ix.log().Info("removed from the catalog: the registry no longer holds its tag", "repository", repository, "tag", tag, "digest", v.Digest)
	return nil
}

// checkMoved marks the version published under tag tampered when the tag
// now names found instead (unless AcceptMoved), and returns a
// *TamperedError then; nil when the tag holds what was published or
// nothing was.
func (ix *Indexer) checkMoved(ctx context.Context, repository, tag, found string) error {
	old, err := ix.Store.Version(ctx, repository, resolve.VersionOf(tag))
	if errors.Is(err, catalog.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if old.Tag != tag || old.Digest == found || ix.AcceptMoved {
		return nil
	}
	if old.Tampered != found {
		old.Tampered, old.IndexedAt = found, ix.now()
		if err := ix.Store.PutVersion(ctx, old); err != nil {
			return fmt.Errorf("marking %s:%s tampered: %w", repository, tag, err)
		}
	}
	ix.log().Error("tampered version: a tag moved outside mpakd", "repository", repository, "tag", tag, "published", old.Digest, "found", found)
	return &TamperedError{Repository: repository, Tag: tag, Published: old.Digest, Found: found}
}

// Read builds the catalog entry of a tag from the registry (without the
// trust signals, which need a registry that lists referrers).
func Read(ctx context.Context, src oras.ReadOnlyTarget, repository, tag string) (*catalog.Version, error) {
	v, _, err := read(ctx, src, repository, tag)
	return v, err
}

// read is Read, also returning the version's root descriptor.
func read(ctx context.Context, src oras.ReadOnlyTarget, repository, tag string) (*catalog.Version, ocispec.Descriptor, error) {
	skip := func(root ocispec.Descriptor, notBundle bool, reason string, err error) (*catalog.Version, ocispec.Descriptor, error) {
		return nil, root, &SkipError{Repository: repository, Tag: tag, Reason: reason, NotBundle: notBundle, Err: err}
	}
	v, err := bundle.Resolve(ctx, src, tag)
	if errors.Is(err, bundle.ErrNotVersion) {
		root, _ := src.Resolve(ctx, tag)
		return skip(root, true, "holds a "+root.MediaType+", not an OCI index or manifest of bundle builds", err)
	}
	if err != nil {
		return nil, ocispec.Descriptor{}, err
	}
	isBundle, err := bundle.IsBundle(ctx, src, v, nil)
	if errors.Is(err, errdef.ErrNotFound) {
		return skip(v.Root, false, "refers to a manifest the registry does not have: "+err.Error(), err)
	}
	if err != nil {
		return nil, v.Root, err
	}
	if !isBundle {
		return skip(v.Root, true, "holds "+describe(v), nil)
	}
	d, err := bundle.ReadDeclared(ctx, src, v, nil)
	if errors.Is(err, bundle.ErrNotVersion) || errors.Is(err, errdef.ErrNotFound) {
		return skip(v.Root, false, "is not a valid bundle version: "+err.Error(), err)
	}
	if err != nil {
		return nil, ocispec.Descriptor{}, err
	}
	if err := bundle.CheckPublication(repository, tag, d.Manifest.Name, d.Manifest.Version); err != nil {
		return skip(v.Root, false, "is not publishable there: "+strings.TrimPrefix(err.Error(), repository+":"+tag+": "), err)
	}
	out := &catalog.Version{Repository: repository, Tag: tag, Digest: v.Root.Digest.String()}
	if v.Index != nil {
		out.Annotations = v.Index.Annotations
	} else {
		out.Annotations = d.Artifacts[0].Manifest.Annotations
	}
	for _, a := range d.Artifacts {
		out.Builds = append(out.Builds, catalog.Build{Platform: a.Entry.Platform.String(), ManifestDigest: a.Entry.Descriptor.Digest.String(),
			LayerDigest: a.Layer.Digest.String(), Size: a.Layer.Size})
	}
	// PublishedAt stays zero: the store records when it first held this
	// digest. The created annotation is when the bundle was packed, and
	// reproducible packs pin it to the zip epoch.
	fill(out, d.Manifest, d.ManifestJSON)
	return out, v.Root, nil
}

// describe says what a version that is not a bundle is, for the reason a
// sync or fsck prints.
func describe(v *bundle.Version) string {
	if v.Index != nil {
		if v.Index.ArtifactType != "" {
			return "an index of " + v.Index.ArtifactType
		}
		return "an index of " + fmt.Sprint(len(v.Builds)) + " manifests with no .mcpb layer (a multi-platform image?)"
	}
	if v.Root.ArtifactType != "" {
		return "a " + v.Root.ArtifactType + " artifact"
	}
	return "a " + v.Root.MediaType + " with no .mcpb layer (a container image?)"
}

func fill(v *catalog.Version, m *mcpb.Manifest, config []byte) {
	v.Version = m.Version
	if sv, err := semver.StrictNewVersion(m.Version); err == nil {
		v.Prerelease = sv.Prerelease() != ""
	}
	v.Name, v.DisplayName, v.Description, v.LongDescription = m.Name, m.DisplayName, m.Description, m.LongDescription
	v.Keywords, v.Author, v.License, v.Homepage = m.Keywords, m.Author.Name, m.License, m.Homepage
	if m.Repository != nil {
		v.SourceURL = m.Repository.URL
	}
	v.ServerType, v.ManifestVersion = m.Server.Type, m.ManifestVersion
	for _, t := range m.Tools {
		v.Tools = append(v.Tools, catalog.Tool{Name: t.Name, Description: t.Description})
	}
	for _, p := range m.Prompts {
		v.Prompts = append(v.Prompts, p.Name)
	}
	v.UserConfigKeys = m.UserConfigKeys()
	v.Manifest = config
}
