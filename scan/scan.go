// Package scan checks a bundle against the mpak trust levels, offline:
// per-control results with evidence and remediation, the level reached
// (every control of it and below passed; skip is not pass) and a CycloneDX
// SBOM. Controls L1 (hygiene) and L2 (supply chain) read the bundle alone
// (and a local OSV database); L3 and L4 also use what the caller verified
// (signatures, provenance) and the source tree.
package scan

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/mpak-oci/mpak/mcpb"
)

// Version names the scanner in reports.
const Version = "mpak-scan/1"

// Rules is the revision of the scanner's rule set: raised whenever a
// control is added or made stricter, so that a verdict of the newer rules
// wins over an older one whatever their dates (scanlevel).
const Rules = 2

// Trust is what the caller established about the bundle's version in the
// registry: its signatures and its build provenance (verified).
type Trust struct {
	Signed   bool
	SignedBy []string
	// Provenance is the verified SLSA provenance, nil without one.
	Provenance *Provenance
	// Revision is the version's org.opencontainers.image.revision
	// annotation, if any.
	Revision string
}

// Provenance is what L3 and L4 read from a provenance attestation.
type Provenance struct {
	SourceRepo, SourceRevision string
	// Subjects are the sha256 digests (hex) the statement is about.
	Subjects []string
}

// Options tune a scan. The zero value runs every control it can.
type Options struct {
	// MaxLevel stops after this level's controls (default 4).
	MaxLevel int
	// VulnDB is a directory of OSV JSON files; without it the
	// vulnerability control is skipped.
	VulnDB string
	// Source is the bundle's source tree, for the reproducibility control.
	Source string
	// Trust is nil when signatures and provenance were not checked: the
	// controls that need them are skipped.
	Trust *Trust
	// Now stamps the report (default time.Now).
	Now func() time.Time
}

// maxScanned bounds the files read for content checks; larger ones are
// binaries or data, checked for executable headers only.
const maxScanned = 4 << 20

// bundle is the scanned archive with the contents of its files.
type bundle struct {
	archive *mcpb.Archive
	files   map[string][]byte // text-sized files' contents
	head    map[string][]byte // every file's first bytes
}

// Scan runs the controls on an opened bundle.
func Scan(ctx context.Context, a *mcpb.Archive, opts Options) (*Report, error) {
	if opts.MaxLevel <= 0 || opts.MaxLevel > 4 {
		opts.MaxLevel = 4
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	b := &bundle{archive: a, files: map[string][]byte{}, head: map[string][]byte{}}
	for _, f := range a.Files {
		rc, err := a.Open(f.Path)
		if err != nil {
			return nil, fmt.Errorf("scanning %s: %w", f.Path, err)
		}
		if f.Size <= maxScanned {
			data, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				return nil, fmt.Errorf("scanning %s: %w", f.Path, err)
			}
			b.files[f.Path] = data
			b.head[f.Path] = data[:min(len(data), 8)]
			continue
		}
		head := make([]byte, 8)
		n, _ := io.ReadFull(rc, head)
		rc.Close()
		b.head[f.Path] = head[:n]
	}
	r := &Report{Scanner: Version, Rules: Rules, CreatedAt: opts.Now().UTC()}
	r.Bundle.Name, r.Bundle.Version, r.Bundle.SHA256 = a.Manifest.Name, a.Manifest.Version, a.SHA256
	for _, c := range controls {
		if c.level > opts.MaxLevel {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res := Result{ID: c.id, Level: c.level, Title: c.title, Remediation: c.remediation}
		c.run(b, opts, r, &res)
		if res.Status == Pass || res.Status == Skip {
			res.Remediation = ""
		}
		r.Controls = append(r.Controls, res)
	}
	r.finish(opts.MaxLevel)
	return r, nil
}

// control is one check.
type control struct {
	id, title, remediation string
	level                  int
	run                    func(b *bundle, opts Options, r *Report, res *Result)
}

// controls in the order reports list them.
var controls = []control{
	manifestControl, toolsControl, secretsControl, hooksControl, sbomControl,
	executablesControl, lockfileControl, vulnControl, injectionControl, authorControl,
	signatureControl, provenanceControl, dangerousCodeControl,
	reproducibleControl, revisionControl,
}

// text reports whether data looks like text (no NUL in its first 8 KiB).
func text(data []byte) bool { return !bytes.Contains(data[:min(len(data), 8192)], []byte{0}) }

// lineOf is the 1-based line of byte offset i in data.
func lineOf(data []byte, i int) int { return bytes.Count(data[:i], []byte("\n")) + 1 }

// fail and pass set a result.
func (res *Result) fail(msg string, ev ...Evidence) {
	res.Status, res.Message, res.Evidence = Fail, msg, append(res.Evidence, ev...)
}
func (res *Result) pass(msg string) { res.Status, res.Message = Pass, msg }
func (res *Result) skip(msg string) { res.Status, res.Message = Skip, msg }
