package testenv

import (
	"strings"
	"testing"
)

// recorder is a testing.TB that records how it was ended.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()           {}
func (r *recorder) Fatal(args ...any) { r.fatal = args[0].(string) }
func (r *recorder) Skip(args ...any)  { r.skip = args[0].(string) }

func TestMissing(t *testing.T) {
	t.Setenv("CI", "true")
	r := &recorder{TB: t}
	Missing(r, "no widget")
	if r.fatal != "no widget" || r.skip != "" {
		t.Errorf("in CI: fatal %q, skip %q; want a failure", r.fatal, r.skip)
	}
	t.Setenv("CI", "")
	r = &recorder{TB: t}
	Missing(r, "no widget")
	if r.fatal != "" || !strings.Contains(r.skip, "*** no widget ***") {
		t.Errorf("outside CI: fatal %q, skip %q; want a loud skip", r.fatal, r.skip)
	}
}

func TestTool(t *testing.T) {
	r := &recorder{TB: t}
	if p := Tool(r, "no go", "no-such-tool-mpak", "go"); !strings.HasSuffix(p, "/go") || r.fatal != "" || r.skip != "" {
		t.Errorf("Tool found %q (fatal %q, skip %q); want the go command, the second name", p, r.fatal, r.skip)
	}
	t.Setenv("CI", "true")
	r = &recorder{TB: t}
	if p := Tool(r, "nothing here", "no-such-tool-mpak"); p != "" || r.fatal != "nothing here" {
		t.Errorf("a missing tool: %q, fatal %q", p, r.fatal)
	}
}
