//go:build unix

package launch

import (
	"fmt"
	"os"
	"syscall"
)

// forwardedSignals are the signals that ask a process to stop. A terminal's
// Ctrl-C also reaches the server directly, as both share the foreground
// process group, so it may see SIGINT twice; MCP servers stop on the first.
var forwardedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// Exec replaces this process with the server, so there is nothing in
// between: its stdio, signals and exit status are the server's own, and mpak
// costs no memory while it runs. It returns only when the exec fails.
//
// argv[0] is c.Path, so a Python virtual environment's interpreter finds
// its environment from the path it was started as.
func Exec(c *Command) error {
	if c.Dir != "" {
		if err := os.Chdir(c.Dir); err != nil {
			return fmt.Errorf("entering the server's directory: %w", err)
		}
	}
	env := c.Env
	if env == nil {
		env = os.Environ()
	}
	argv := append([]string{c.Path}, c.Args...)
	if err := syscall.Exec(c.Path, argv, env); err != nil {
		return fmt.Errorf("starting the server %s: %w (check that it exists and is executable)", c.Path, err)
	}
	return nil
}

// exitCode reports a death by signal N as 128+N, as shells do, so that a
// caller exiting with it tells its own parent the same story.
func exitCode(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// terminate asks the server to stop, as a service manager would.
func terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }
