package bundle

import (
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"
)

// ErrVersionExists is matched by a push that would move a published tag.
var ErrVersionExists = errors.New("version already published")

// VersionExistsError says which tag holds which digest, so the publisher can
// tell a re-push of the same files (no error) from a real conflict.
type VersionExistsError struct {
	Repository string
	Tag        string
	Existing   digest.Digest
	Pushed     digest.Digest
}

func (e *VersionExistsError) Error() string {
	return fmt.Sprintf("%s:%s is already published as %s and versions are immutable (these files give %s): "+
		"bump the version in manifest.json and pack again", e.Repository, e.Tag, e.Existing, e.Pushed)
}

func (e *VersionExistsError) Is(target error) bool { return target == ErrVersionExists }

// notVersion is an error about content that is no bundle version: it
// reads as its message alone and matches ErrNotVersion.
func notVersion(format string, args ...any) error {
	return contentError{fmt.Errorf(format, args...)}
}

type contentError struct{ error }

func (e contentError) Is(target error) bool { return target == ErrNotVersion }
func (e contentError) Unwrap() error        { return e.error }
