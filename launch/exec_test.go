package launch

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestRunPassesStdioThroughPipes(t *testing.T) {
	var stdout, stderr bytes.Buffer
	c := &Command{Path: helperBin(t), Args: []string{"echo"}}
	code, err := Run(context.Background(), c, strings.NewReader("hello\n{\"jsonrpc\":\"2.0\"}\n"), &stdout, &stderr)
	if err != nil || code != 0 {
		t.Fatalf("Run = %d, %v; stderr: %s", code, err, stderr.String())
	}
	if got, want := stdout.String(), "hello\n{\"jsonrpc\":\"2.0\"}\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
}

func TestRunReturnsExitCode(t *testing.T) {
	for _, want := range []int{0, 1, 7, 255} {
		var stderr bytes.Buffer
		c := &Command{Path: helperBin(t), Args: []string{"exit", strconv.Itoa(want)}}
		code, err := Run(context.Background(), c, nil, nil, &stderr)
		if err != nil {
			t.Fatalf("exit %d: Run error %v", want, err)
		}
		if code != want {
			t.Errorf("exit %d: code = %d", want, code)
		}
		if !strings.Contains(stderr.String(), "exiting "+strconv.Itoa(want)) {
			t.Errorf("exit %d: stderr = %q, want the server's own", want, stderr.String())
		}
	}
}

// An *os.File must reach the server as its own descriptor: the MCP client
// then talks to the server with nothing in between.
func TestRunHandsFilesToTheServer(t *testing.T) {
	dir := t.TempDir()
	in, err := os.Create(filepath.Join(dir, "in"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	c := &Command{Path: helperBin(t), Args: []string{"stdio"}}
	if code, err := Run(context.Background(), c, in, out, os.Stderr); err != nil || code != 0 {
		t.Fatalf("Run = %d, %v", code, err)
	}
	got, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "file\nfile\n" {
		t.Errorf("the server saw stdin, stdout as %q, want both to be the files themselves", got)
	}

	// Anything else goes through pipes.
	var buf bytes.Buffer
	if code, err := Run(context.Background(), c, strings.NewReader(""), &buf, os.Stderr); err != nil || code != 0 {
		t.Fatalf("Run = %d, %v", code, err)
	}
	if buf.String() != "pipe\npipe\n" {
		t.Errorf("the server saw stdin, stdout as %q, want pipes", buf.String())
	}
}

func TestRunSetsEnvironment(t *testing.T) {
	var stdout bytes.Buffer
	c := &Command{Path: helperBin(t), Args: []string{"env", "LAUNCH_TEST"}, Env: []string{"LAUNCH_TEST=from the bundle"}}
	if code, err := Run(context.Background(), c, nil, &stdout, os.Stderr); err != nil || code != 0 {
		t.Fatalf("Run = %d, %v", code, err)
	}
	if got := stdout.String(); got != "from the bundle\n" {
		t.Errorf("LAUNCH_TEST = %q", got)
	}
}

func TestRunStartFailureNamesThePath(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-server")
	code, err := Run(context.Background(), &Command{Path: missing}, nil, nil, nil)
	if err == nil {
		t.Fatalf("Run of a missing binary succeeded with code %d", code)
	}
	if !strings.Contains(err.Error(), missing) {
		t.Errorf("error %q does not name %s", err, missing)
	}
}
