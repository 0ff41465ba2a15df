package cli

import (
	"errors"

	"github.com/mpak-oci/mpak"
	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/oci/connect"
)

// explain is err as mpak prints it: the library words the problem, and
// the command line adds what to do about it in its own terms (commands
// and flags), which the library does not know.
func explain(err error) string {
	msg := connect.Explain(err).Error()
	var (
		notCached   *mpak.NotCachedError
		ambiguous   *mpak.AmbiguousError
		warnings    *mpak.WarningsError
		unreachable *catalogapi.UnreachableError
		notCatalog  *catalogapi.NotCatalogError
	)
	switch {
	case errors.As(err, &unreachable):
		msg += " (is an mpakd serving there? set " + catalogapi.EnvIndexURL + " to its URL)"
	case errors.As(err, &notCatalog):
		msg += " (set " + catalogapi.EnvIndexURL + " to one)"
	case errors.As(err, &notCached):
		msg += " (see mpak cache ls)"
	case errors.As(err, &ambiguous):
		msg += ": give more digits"
	case errors.As(err, &warnings):
		msg = "--strict: " + msg
	}
	return msg
}
