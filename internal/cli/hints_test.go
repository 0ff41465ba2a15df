package cli

import (
	"errors"
	"fmt"
	"testing"

	"github.com/mpak-oci/mpak"
	"github.com/mpak-oci/mpak/catalogapi"
)

// TestExplainAddsHints: the library's typed errors, however wrapped, get
// the command line's advice; other errors are printed as they are.
func TestExplainAddsHints(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err  error
		want string
	}{
		{&mpak.NotCachedError{Query: "abc123"}, "nothing cached matches abc123 (see mpak cache ls)"},
		{fmt.Errorf("rm: %w", &mpak.AmbiguousError{Prefix: "abc123", Matches: 2}), "rm: abc123 matches 2 cached bundles: give more digits"},
		{&mpak.WarningsError{Removed: "b.mcpb"}, "--strict: 0 warnings, removed b.mcpb:\n  "},
		{&catalogapi.UnreachableError{BaseURL: "http://h", Err: errors.New("refused")},
			"catalog http://h: refused (is an mpakd serving there? set MPAK_INDEX_URL to its URL)"},
		{&catalogapi.NotCatalogError{BaseURL: "http://h", Path: "/v1/x"},
			"catalog http://h: /v1/x answers 404: it is not an mpakd with a catalog (set MPAK_INDEX_URL to one)"},
		{errors.New("plain"), "plain"},
	} {
		if got := explain(c.err); got != c.want {
			t.Errorf("explain(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
