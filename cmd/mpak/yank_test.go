package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/internal/cli"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// TestYankCommand: a yanked version is skipped by latest, still pulled by
// its exact version with a warning on stderr, travels with `bundle copy`,
// and comes back with --undo.
func TestYankCommand(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	e := isolate(t, host)
	work := t.TempDir()
	for _, v := range []string{"1.0.0", "1.1.0"} {
		f := filepath.Join(work, v+".mcpb")
		e.ok(t, "bundle", "pack", exampleDir(t, v), "-o", f)
		e.ok(t, "bundle", "push", "@example/hello", f)
	}

	// Refusals that name the fix.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bundle", "yank", "@example/hello", "--reason", "x"}, "name the version exactly"},
		{[]string{"bundle", "yank", "@example/hello@^1", "--reason", "x"}, "name the version exactly"},
		{[]string{"bundle", "yank", "@example/hello@1.1.0"}, "--reason is required"},
		{[]string{"bundle", "yank", "@example/hello@1.1.0", "--reason", strings.Repeat("x", 501)}, "more than 500"},
		{[]string{"bundle", "yank", "@example/hello@1.5.0", "--reason", "x"}, "1.5.0"},
	} {
		if _, errOut, code := e.mpak(t, c.args...); code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("mpak %s: exit %d, stderr %q; want a refusal saying %q", strings.Join(c.args, " "), code, errOut, c.want)
		}
	}

	out := e.ok(t, "bundle", "yank", "@example/hello@1.1.0", "--reason", "broken greeting; use 1.0.0")
	if !strings.HasPrefix(out, "yanked "+host+"/example/hello:1.1.0 (sha256:") || !strings.HasSuffix(out, "): broken greeting; use 1.0.0\n") {
		t.Errorf("yank said %q", out)
	}

	// latest skips it, silently.
	pull, errOut, code := e.mpak(t, "bundle", "pull", "@example/hello", "-o", work, "--json")
	if code != 0 || decode[cli.PullOutput](t, pull).Version != "1.0.0" || strings.Contains(errOut, "warning") {
		t.Fatalf("pull latest with 1.1.0 yanked: exit %d, %s, stderr %q", code, pull, errOut)
	}
	// The exact version still pulls, with the warning on stderr.
	const warning = "warning: @example/hello@1.1.0 is yanked: broken greeting; use 1.0.0"
	pull, errOut, code = e.mpak(t, "bundle", "pull", "@example/hello@1.1.0", "-o", work, "--json")
	if code != 0 || decode[cli.PullOutput](t, pull).Version != "1.1.0" || !strings.Contains(errOut, warning) {
		t.Fatalf("pull of the yanked version: exit %d, %s, stderr %q", code, pull, errOut)
	}
	if _, errOut, _ := e.mpak(t, "bundle", "pull", "-q", "@example/hello@1.1.0", "-o", work); errOut != "" {
		t.Errorf("--quiet pull printed %q", errOut)
	}
	for name, args := range map[string][]string{
		"inspect": {"bundle", "inspect", "@example/hello@1.1.0", "--json"},
		"lock":    {"lock", "-f", filepath.Join(work, "mpak.lock"), "@example/hello@1.1.0"},
	} {
		if _, errOut, code := e.mpak(t, args...); code != 0 || !strings.Contains(errOut, warning) {
			t.Errorf("%s of the yanked version: exit %d, stderr %q; want the warning", name, code, errOut)
		}
	}
	// run warns on stderr and leaves stdout, the MCP transport, alone. A
	// bad --config stops it after the install, before any server starts.
	stdout, errOut, _ := e.mpak(t, "run", "@example/hello@1.1.0", "--config", "no-equals-sign")
	if stdout != "" || !strings.Contains(errOut, warning) {
		t.Errorf("run of the yanked version: stdout %q, stderr %q", stdout, errOut)
	}
	if _, errOut, _ := e.mpak(t, "run", "@example/hello", "--config", "no-equals-sign"); !strings.Contains(errOut, "/example/hello:1.0.0@") || strings.Contains(errOut, "warning") {
		t.Errorf("run of latest with 1.1.0 yanked: stderr %q", errOut)
	}

	// The mark is a referrer: copied with the version, it is yanked there too.
	dst := registrytest.GGCR(t, true)
	e.ok(t, "bundle", "copy", "@example/hello@1.1.0", dst+"/mirror/hello")
	if _, errOut, code := e.mpak(t, "bundle", "pull", dst+"/mirror/hello", "-o", work); code == 0 || !strings.Contains(errOut, `every version matching "latest" is yanked (1.1.0)`) || !strings.Contains(errOut, "pin one exactly") {
		t.Errorf("pull latest of the copy: exit %d, stderr %q; want it refused as yanked", code, errOut)
	}

	undo := decode[cli.YankOutput](t, e.ok(t, "bundle", "yank", "--undo", "@example/hello@1.1.0", "--json"))
	if undo.Yanked || undo.Record == "" || undo.Reference != host+"/example/hello:1.1.0" {
		t.Errorf("--undo said %+v", undo)
	}
	pull, errOut, code = e.mpak(t, "bundle", "pull", "@example/hello", "-o", work, "--json")
	if code != 0 || decode[cli.PullOutput](t, pull).Version != "1.1.0" || strings.Contains(errOut, "warning") {
		t.Fatalf("pull latest after --undo: exit %d, %s, stderr %q", code, pull, errOut)
	}

	// By digest.
	digest := decode[cli.PullOutput](t, e.ok(t, "bundle", "pull", "@example/hello@1.0.0", "-o", work, "--json")).Digest
	byDigest := decode[cli.YankOutput](t, e.ok(t, "bundle", "yank", "@example/hello@"+digest, "--reason", "old", "--json"))
	if !byDigest.Yanked || byDigest.Digest != digest || byDigest.Reference != host+"/example/hello@"+digest {
		t.Errorf("yank by digest said %+v", byDigest)
	}
	if _, errOut, code := e.mpak(t, "bundle", "pull", "@example/hello@^1.0 <1.1", "-o", work); code == 0 || !strings.Contains(errOut, "is yanked (1.0.0)") {
		t.Errorf("range matching only the yanked 1.0.0: exit %d, stderr %q", code, errOut)
	}
}
