package mpak

import (
	"context"
	"errors"
	"fmt"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/oci/resolve"
	"github.com/mpak-oci/mpak/oci/yank"
)

// Yanked is the mark Yank attached.
type Yanked struct {
	Ref ref.Reference
	// Reference is the tag or digest the query resolved to; Root the
	// version it marked.
	Reference string
	Root      ocispec.Descriptor
	// Record is the yank record's manifest; Time its created annotation,
	// the time of the mark.
	Record ocispec.Descriptor
	Time   string
	// Reason is the reason as recorded, whitespace folded to single
	// spaces.
	Reason string
}

// Yank marks the version s names exactly (an exact version or a digest,
// never a range, which can mean another version tomorrow) yanked, or with
// yanked false un-yanks it. A reason is required to yank: everyone who
// pins the version is shown it.
func (c *Client) Yank(ctx context.Context, s string, yanked bool, reason string) (*Yanked, error) {
	r, err := c.Parse(s)
	if err != nil {
		return nil, err
	}
	if r.Digest == "" && !resolve.IsExact(r.Version) {
		asked := r.Version
		if asked == "" {
			asked = resolve.Latest
		}
		return nil, fmt.Errorf("%s asks for %q, which can mean another version tomorrow: name the version exactly, e.g. %s, or its digest",
			s, asked, r.WithVersion("1.2.0").Display())
	}
	if yanked && strings.TrimSpace(reason) == "" {
		return nil, errors.New("--reason is required: say what is wrong with the version and what to use instead")
	}
	// Mark the digest the query resolved to, not the tag read again.
	repo, res, root, err := c.query(ctx, r)
	if err != nil {
		return nil, err
	}
	out := &Yanked{Ref: r, Reference: res.Reference, Root: root, Reason: strings.Join(strings.Fields(reason), " ")}
	if out.Record, err = yank.Mark(ctx, repo, out.Root, yanked, reason, yank.Options{}); err != nil {
		return nil, err
	}
	out.Time = out.Record.Annotations[ocispec.AnnotationCreated]
	return out, nil
}
