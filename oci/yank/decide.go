package yank

import (
	"strings"
	"time"
	"unicode"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/mpak-oci/mpak/mediatypes"
)

// Decide returns the state that a version's referrers (its listing,
// annotations included) record. It is pure so that the server's indexer,
// which already holds the listing, applies the same rule as the client:
//
//   - only yank records count (other referrers are ignored, so the full
//     listing may be passed);
//   - a record whose dev.mpak.yanked is not "true"/"false", or whose
//     org.opencontainers.image.created is not RFC 3339, is ignored: a
//     record that cannot be ordered cannot decide;
//   - the newest record decides; on equal times a yank beats an un-yank
//     (the safe side), then the lower digest, so every reader agrees;
//   - no records: not yanked.
func Decide(refs []ocispec.Descriptor) Status {
	var best Status
	found := false
	for _, d := range refs {
		s, ok := parse(d)
		if !ok {
			continue
		}
		if !found || newer(s, best) {
			best, found = s, true
		}
	}
	return best
}

// parse reads one listed referrer as a record.
func parse(d ocispec.Descriptor) (Status, bool) {
	v, marked := d.Annotations[mediatypes.AnnotationYanked]
	// Registries that list referrers without their artifactType still keep
	// annotations; our key alone identifies a record then.
	if d.ArtifactType != mediatypes.Yank && (d.ArtifactType != "" || !marked) {
		return Status{}, false
	}
	var yanked bool
	switch v {
	case "true":
		yanked = true
	case "false":
	default:
		return Status{}, false
	}
	t, err := time.Parse(time.RFC3339, d.Annotations[ocispec.AnnotationCreated])
	if err != nil {
		return Status{}, false
	}
	return Status{Yanked: yanked, Reason: printable(d.Annotations[mediatypes.AnnotationYankReason]), Time: t, Record: d.Digest}, true
}

// newer reports whether a decides over b.
func newer(a, b Status) bool {
	if !a.Time.Equal(b.Time) {
		return a.Time.After(b.Time)
	}
	if a.Yanked != b.Yanked {
		return a.Yanked
	}
	return a.Record < b.Record
}

// printable keeps a reason written by any tool from driving the terminal
// it is printed on: control characters become spaces.
func printable(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
