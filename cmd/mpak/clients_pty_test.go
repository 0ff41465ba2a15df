//go:build linux

package main

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/mpak-oci/mpak/mcpclients"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

// TestInstallAsksOnTerminal: on a terminal, install asks for a required
// value that was not given, without echoing a sensitive one, and saves
// it in mpak's config rather than the client's file.
func TestInstallAsksOnTerminal(t *testing.T) {
	t.Parallel()
	host := registrytest.Distribution(t)
	e := isolate(t, host)
	e.publish(t, secretClockDir(t, "1.0.0"), "clock")
	file := filepath.Join(t.TempDir(), "mcp.json")

	bin, _ := binaries(t)
	cmd := e.command(bin, "install", "@example/clock", "--client", "cursor", "--config", file)
	tty, err := pty.Start(cmd)
	must(t, err)
	defer tty.Close()
	out := make(chan string, 1)
	seen := &strings.Builder{}
	go func() {
		r := bufio.NewReader(tty)
		for {
			b, err := r.ReadByte()
			if err != nil {
				out <- seen.String()
				return
			}
			seen.WriteByte(b)
			if strings.HasSuffix(seen.String(), "token (Token): ") && strings.Count(seen.String(), "token (Token)") == 2 {
				// Type only once mpak has turned echo off, as a person
				// would be typing into a prompt that is ready.
				for deadline := time.Now().Add(10 * time.Second); echoOn(tty) && time.Now().Before(deadline); {
					time.Sleep(5 * time.Millisecond)
				}
				io.WriteString(tty, "s3cret\n")
			}
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("install on a terminal: %v\n%s", err, seen.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("install on a terminal hung; it printed:\n%s", seen.String())
	}
	tty.Close()
	transcript := <-out
	if !strings.Contains(transcript, "token (Token): API token") || strings.Contains(transcript, "s3cret") {
		t.Errorf("the prompt (the secret must not echo):\n%s", transcript)
	}
	if b, _ := os.ReadFile(file); strings.Contains(string(b), "s3cret") || !strings.Contains(string(b), `"clock"`) {
		t.Errorf("client file:\n%s", b)
	}
	if cfg, _ := os.ReadFile(e["MPAK_CONFIG"]); !strings.Contains(string(cfg), `"token": "s3cret"`) {
		t.Errorf("mpak's config:\n%s", cfg)
	}
	f, err := mcpclients.Open(mustClient(t, "cursor"), file)
	must(t, err)
	if entry, ok, _ := f.Entry("clock"); ok {
		s := startEntry(t, entry)
		if got := callText(t, s, "args", nil); !strings.Contains(got, "CLOCK_VERBOSE=false") {
			t.Errorf("args = %q", got)
		}
	} else {
		t.Error("no entry written")
	}
}

// echoOn reports whether the terminal echoes what is typed (the master
// side reads the terminal's settings).
func echoOn(tty *os.File) bool {
	t, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	return err != nil || t.Lflag&unix.ECHO != 0
}
