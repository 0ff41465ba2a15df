package trust

import (
	"context"
	"errors"
	"os"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mpak-oci/mpak"
	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mediatypes"
	"github.com/mpak-oci/mpak/oci/bundle"
	"github.com/mpak-oci/mpak/oci/sign"
	"github.com/mpak-oci/mpak/scan"
)

// ScanOptions tune Scan.
type ScanOptions struct {
	scan.Options
	// Platform is the build to scan (default: this machine).
	Platform mediatypes.Platform
	// Key, when set, is the publisher's public key: the version's
	// signatures and provenance are checked with it (levels 3 and 4).
	Key signature.Verifier
	// Attach attaches the report and the SBOM to the version as
	// referrers; with Signer the verdict is signed too, and only then
	// does the level count for readers who trust Signer's key.
	Attach bool
	Signer signature.SignerVerifier
}

// Scanned is a scan's report and what was attached.
type Scanned struct {
	Report   *scan.Report
	Resolved *mpak.Resolved
	Attached *scan.Attached
}

// Scan resolves s once, pulls the build for the platform and scans it. A
// level reached here is remembered by the policy (a scan run on this
// machine is trusted on it).
func (c *Client) Scan(ctx context.Context, s string, opts ScanOptions) (*Scanned, error) {
	r, err := c.Resolve(ctx, s)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "mpak-scan-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	// Not PullResolved: a scan is how a version earns a level, so the
	// policy that asks for one must not stop it.
	pulled, err := bundle.Pull(ctx, r.Repository, r.Version, bundle.PullOptions{Platform: opts.Platform, Output: tmp, Limits: c.Options().Limits})
	if err != nil {
		return nil, err
	}
	if opts.Key != nil {
		if opts.Options.Trust, err = c.trustOf(ctx, r, opts.Key); err != nil {
			return nil, err
		}
	}
	report, err := c.scanFile(ctx, pulled.Path, opts.Options)
	if err != nil {
		return nil, err
	}
	out := &Scanned{Report: report, Resolved: r}
	if opts.Attach {
		out.Attached, err = report.Attach(ctx, r.Repository, r.Version.Root, scan.AttachOptions{Name: r.Ref.RepositoryRef(), Signer: opts.Signer})
		if err != nil {
			return nil, err
		}
	}
	if pol := c.Options().Policy; pol != nil {
		pol.RememberScan(r.Version.Root.Digest, report.Level)
	}
	return out, nil
}

// ScanFile scans a local .mcpb file.
func (c *Client) ScanFile(ctx context.Context, path string, opts scan.Options) (*scan.Report, error) {
	return c.scanFile(ctx, path, opts)
}

func (c *Client) scanFile(ctx context.Context, path string, opts scan.Options) (*scan.Report, error) {
	arch, err := mcpb.Open(path, mcpb.OpenOptions{Limits: c.Options().Limits})
	if err != nil {
		return nil, err
	}
	defer arch.Close()
	return scan.Scan(ctx, arch, opts)
}

// trustOf verifies the version's signatures and attestations with key, for
// the scan's level 3 and 4 controls.
func (c *Client) trustOf(ctx context.Context, r *mpak.Resolved, key signature.Verifier) (*scan.Trust, error) {
	reg, d, err := sign.Open(ctx, r.Ref, r.Version.Root.Digest.String(), c.Options().Remote)
	if err != nil {
		return nil, err
	}
	results, _, err := sign.Verify(ctx, reg, d, r.Version.Root, key)
	if err != nil && !errors.Is(err, sign.ErrNotVerified) {
		return nil, err
	}
	tr := &scan.Trust{}
	if v := r.Version; v.Index != nil {
		tr.Revision = v.Index.Annotations[ocispec.AnnotationRevision]
	}
	for _, res := range results {
		switch {
		case res.Kind == "signature":
			tr.Signed = true
			tr.SignedBy = append(tr.SignedBy, res.KeyID)
		case res.Provenance != nil:
			p := &scan.Provenance{SourceRepo: res.Provenance.SourceRepo, SourceRevision: res.Provenance.SourceRevision}
			for _, s := range res.Statement.Subject {
				p.Subjects = append(p.Subjects, s.Digest["sha256"])
			}
			tr.Provenance = p
		}
	}
	return tr, nil
}
