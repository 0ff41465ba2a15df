package yank

import (
	"time"

	"github.com/opencontainers/go-digest"
)

// Status is a version's yank state.
type Status struct {
	Yanked bool
	// Reason is the publisher's explanation, ASCII-escaped as stored in
	// the annotation (see mediatypes.EscapeASCII).
	Reason string
	// Time is when the deciding record was written; zero without one.
	Time time.Time
	// Record is the digest of the referrer that decided; empty when the
	// version has no records.
	Record digest.Digest
}

// Warning is what to tell someone who pinned a yanked version, name being
// the version as they know it, e.g. "@acme/weather@1.2.0".
func (s Status) Warning(name string) string {
	if s.Reason == "" {
		return name + " is yanked"
	}
	return name + " is yanked: " + s.Reason
}
