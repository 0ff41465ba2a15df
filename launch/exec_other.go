//go:build !unix

package launch

import (
	"context"
	"os"
	"syscall"
)

// forwardedSignals are caught so that this process outlives a Ctrl-C or a
// console close and reports the server's exit code. Windows delivers those
// console events to the server itself, and os.Process.Signal cannot send
// them, so forwarding is best effort there.
var forwardedSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// Exec runs the server and exits with its exit code: without exec(2) a
// child process is the closest to handing over.
func Exec(c *Command) error {
	code, err := Run(context.Background(), c, os.Stdin, os.Stdout, os.Stderr)
	if err != nil {
		return err
	}
	os.Exit(code)
	return nil
}

func exitCode(ps *os.ProcessState) int { return ps.ExitCode() }

// terminate stops the server: Windows has no SIGTERM to send.
func terminate(p *os.Process) error { return p.Kill() }
