package launch

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/mpak-oci/mpak/mcpb"
)

// Probe reports the version of a runtime on this host: "node" → "20.11.1",
// "python" → "3.11.7".
type Probe func(runtime string) (version string, err error)

// Runtimes that compatibility.runtimes may constrain.
const (
	RuntimeNode   = "node"
	RuntimePython = "python"
)

// CheckCompatibility refuses to run a bundle on a platform it excludes, or
// with a runtime outside its compatibility.runtimes range. probe is only
// called for a runtime that is both constrained and used by server.type.
//
// A constraint that is not a version range this package can read is
// ignored: the MCPB schema does not check them, and refusing a bundle over
// an unreadable constraint would block servers that work. compatibility's
// claude_desktop is about another host and is ignored as well.
//
// goos "" means runtime.GOOS; probe nil means ExecProbe().
func CheckCompatibility(m *mcpb.Manifest, goos string, probe Probe) error {
	c := m.Compatibility
	if c == nil {
		return nil
	}
	if goos == "" {
		goos = runtime.GOOS
	}
	if probe == nil {
		probe = ExecProbe()
	}
	if len(c.Platforms) > 0 && !slices.Contains(c.Platforms, nodePlatform(goos)) && !slices.Contains(c.Platforms, goos) {
		return fmt.Errorf("this bundle runs on %s, not on %s: run it on one of those, or ask its publisher for a %s build",
			strings.Join(c.Platforms, ", "), nodePlatform(goos), nodePlatform(goos))
	}
	rt := runtimeOf(m.Server.Type)
	want, ok := c.Runtimes[rt]
	if rt == "" || !ok {
		return nil
	}
	constraint, err := semver.NewConstraint(want)
	if err != nil {
		return nil
	}
	have, err := probe(rt)
	if err != nil {
		return fmt.Errorf("this bundle needs %s %s: %w", rt, want, err)
	}
	v, err := semver.NewVersion(strings.TrimPrefix(have, "v"))
	if err != nil {
		return nil // an unreadable host version is as uncheckable as a constraint
	}
	// A host's prerelease or nightly build counts as its release: ranges
	// exclude prereleases, and "22.0.0-nightly" is not older than 22.
	if r, err := v.SetPrerelease(""); err == nil {
		v = &r
	}
	if !constraint.Check(v) {
		where := ""
		if p, err := runtimePath(rt, exec.LookPath); err == nil {
			where = " (" + p + ")"
		}
		return fmt.Errorf("this bundle needs %s %s but %s is %s%s: install a newer %s or put one that satisfies %s first on PATH",
			rt, want, rt, have, where, rt, want)
	}
	return nil
}

// runtimeOf is the runtime a server type runs on. uv is absent: uv picks
// and installs the Python the project asks for, so the host's python is
// not the one that runs.
func runtimeOf(serverType string) string {
	switch serverType {
	case mcpb.ServerNode:
		return RuntimeNode
	case mcpb.ServerPython:
		return RuntimePython
	}
	return ""
}

// ExecProbe runs "node --version" or "python3 --version" (python when
// there is no python3), the interpreters Build would pick.
func ExecProbe() Probe {
	return func(rt string) (string, error) {
		p, err := runtimePath(rt, exec.LookPath)
		if err != nil {
			return "", err
		}
		return runVersion(p)
	}
}

// runtimePath finds the binary Build would run for a runtime.
func runtimePath(rt string, lookPath func(string) (string, error)) (string, error) {
	var names []string
	switch rt {
	case RuntimeNode:
		names = []string{"node"}
	case RuntimePython:
		names = []string{"python3", "python"}
	default:
		return "", fmt.Errorf("unknown runtime %q", rt)
	}
	for _, n := range names {
		if p, err := lookPath(n); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s is not on PATH: %s", names[0], installHint(names[0]))
}

// probeTimeout bounds "--version": a runtime that hangs must not hang mpak.
const probeTimeout = 10 * time.Second

var versionPattern = regexp.MustCompile(`\d+(\.\d+)+([-+][0-9A-Za-z.+-]*)?`)

// runVersion runs "path --version" and extracts the version: node prints
// "v20.11.1", python "Python 3.11.7" (on stderr before 3.4).
func runVersion(path string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w (%s)", path, err, strings.TrimSpace(string(out)))
	}
	v := versionPattern.FindString(string(out))
	if v == "" {
		return "", fmt.Errorf("%s --version printed no version: %q", path, strings.TrimSpace(string(out)))
	}
	return v, nil
}
