package scan

import (
	"context"
	"fmt"
	"strconv"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/referrer"
	"github.com/mpak-oci/mpak/scanlevel"
)

// AttachOptions tune Attach.
type AttachOptions struct {
	// Signer, when set, signs the verdict (scanlevel): only then does
	// the level count for readers who trust its key.
	Signer signature.SignerVerifier
	// Name is root's repository, host/repo, recorded in the statement.
	Name string
}

// Attached is what Attach wrote.
type Attached struct {
	Report    ocispec.Descriptor
	SBOM      *ocispec.Descriptor
	Statement *ocispec.Descriptor
}

// Attach attaches r to the version root as referrers: the report, the
// SBOM and, with a Signer, the signed verdict naming the report.
func (r *Report) Attach(ctx context.Context, repo referrer.Target, root ocispec.Descriptor, opts AttachOptions) (*Attached, error) {
	body, err := r.JSON()
	if err != nil {
		return nil, err
	}
	ann := map[string]string{
		mediatypes.AnnotationScanLevel:   strconv.Itoa(r.Level),
		mediatypes.AnnotationScanRisk:    r.Risk,
		mediatypes.AnnotationScanScanner: r.Scanner,
		mediatypes.AnnotationScanRules:   strconv.Itoa(r.Rules),
		mediatypes.AnnotationScanCounts: fmt.Sprintf("pass=%d,fail=%d,skip=%d,error=%d",
			r.Counts[Pass], r.Counts[Fail], r.Counts[Skip], r.Counts[Error]),
		ocispec.AnnotationCreated: r.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"),
	}
	out := &Attached{}
	if out.Report, err = referrer.Attach(ctx, repo, root, referrer.Artifact{ArtifactType: mediatypes.Scan,
		Blobs: []referrer.Blob{{MediaType: mediatypes.Scan, Data: body}}, Annotations: ann}, referrer.Options{Created: r.CreatedAt}); err != nil {
		return nil, fmt.Errorf("attaching the scan report: %w", err)
	}
	if len(r.SBOM) > 0 {
		d, err := referrer.Attach(ctx, repo, root, referrer.Artifact{ArtifactType: mediatypes.CycloneDX,
			Blobs: []referrer.Blob{{MediaType: mediatypes.CycloneDX, Data: r.SBOM}}}, referrer.Options{Created: r.CreatedAt})
		if err != nil {
			return nil, fmt.Errorf("attaching the SBOM: %w", err)
		}
		out.SBOM = &d
	}
	if opts.Signer != nil {
		d, err := AttachVerdict(ctx, repo, root, opts.Name, scanlevel.Predicate{Level: r.Level, Rules: r.Rules, Scanner: r.Scanner,
			Created: r.CreatedAt.UTC(), Report: out.Report.Digest.String()}, opts.Signer)
		if err != nil {
			return nil, fmt.Errorf("signing the scan verdict: %w", err)
		}
		out.Statement = &d
	}
	return out, nil
}
