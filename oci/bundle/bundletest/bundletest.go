// Package bundletest helps tests that publish a version, or pull or copy
// one they name by tag: bundle.Pull and bundle.Copy take a resolved
// version, never a tag.
package bundletest

import (
	"context"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/mpak-oci/mpak/mcpb/mcpbtest"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
)

// Resolve reads the version reference (a tag or a digest) names in src,
// failing tb if it cannot.
func Resolve(tb testing.TB, src oras.ReadOnlyTarget, reference string) *bundle.Version {
	tb.Helper()
	v, err := bundle.Resolve(context.Background(), src, reference)
	if err != nil {
		tb.Fatalf("resolving %s: %v", reference, err)
	}
	return v
}

// Publish pushes name@version, one platform-independent build made by
// mcpbtest.Pack (extra in server/data.txt), to repo and returns the
// version's index.
func Publish(tb testing.TB, repo *remote.Repository, name, version, extra string) ocispec.Descriptor {
	tb.Helper()
	plan, err := bundle.Prepare([]bundle.File{{Path: mcpbtest.Pack(tb, name, version, extra), Platform: mediatypes.AnyPlatform}}, bundle.PrepareOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := bundle.Push(context.Background(), repo, plan, version, bundle.PushOptions{}); err != nil {
		tb.Fatal(err)
	}
	return plan.Index
}
