package scan

import (
	"context"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/referrer"
	"github.com/mpak-oci/mpak/oci/sign"
	"github.com/mpak-oci/mpak/scanlevel"
)

// AttachVerdict signs p about root with sv and attaches the statement
// (see package scanlevel, which reads it); name is root's repository
// (host/repo).
func AttachVerdict(ctx context.Context, repo referrer.Target, root ocispec.Descriptor, name string, p scanlevel.Predicate, sv signature.SignerVerifier) (ocispec.Descriptor, error) {
	if p.Level < 0 || p.Level > 4 {
		return ocispec.Descriptor{}, fmt.Errorf("scan level %d: want 0-4", p.Level)
	}
	return sign.AttachStatement(ctx, repo, root, mediatypes.ScanPredicate, p, sv, sign.StatementOptions{Name: name, ArtifactType: mediatypes.ScanVerdict})
}
