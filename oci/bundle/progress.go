package bundle

import (
	"io"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Progress observes blob transfers so a front end can draw them.
type Progress interface {
	// Track wraps the reader of one transfer; name is the file name shown.
	Track(desc ocispec.Descriptor, name string, r io.Reader) io.Reader
	// Skip reports a blob that needed no transfer because it was there already.
	Skip(desc ocispec.Descriptor, name string)
}

type noProgress struct{}

func (noProgress) Track(_ ocispec.Descriptor, _ string, r io.Reader) io.Reader { return r }
func (noProgress) Skip(ocispec.Descriptor, string)                             {}

func progressOrNop(p Progress) Progress {
	if p == nil {
		return noProgress{}
	}
	return p
}
