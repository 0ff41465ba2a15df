package ref

import (
	"fmt"

	"oras.land/oras-go/v2/errdef"
)

// Error describes input that is not a valid reference or registry setting.
// It matches errdef.ErrInvalidReference with errors.Is, so callers that
// already handle oras-go's parse errors handle these too.
type Error struct {
	// What was being parsed: "reference" or "default registry".
	What string
	// Input is the text as given.
	Input string
	// Reason says what is wrong and how to fix it.
	Reason string
	// Err is the underlying cause, if any (e.g. resolve.ErrInvalidQuery).
	Err error
}

func (e *Error) Error() string {
	return fmt.Sprintf("invalid %s %q: %s", e.What, e.Input, e.Reason)
}

// Unwrap exposes both the oras-go sentinel and the underlying cause.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{errdef.ErrInvalidReference}
	}
	return []error{errdef.ErrInvalidReference, e.Err}
}

func refError(input, format string, args ...any) *Error {
	return &Error{What: "reference", Input: input, Reason: fmt.Sprintf(format, args...)}
}
