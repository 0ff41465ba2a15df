// Package bundletest helps tests that pull or copy a version they name by
// tag: bundle.Pull and bundle.Copy take a resolved version, never a tag.
package bundletest

import (
	"context"
	"testing"

	"oras.land/oras-go/v2"

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
