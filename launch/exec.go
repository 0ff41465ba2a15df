package launch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"time"
)

// stopGrace is how long a server has to exit after being asked to (ctx
// canceled) before it is killed, and how long output still held open by
// its orphaned children is drained after it exits.
const stopGrace = 5 * time.Second

// Run starts c as a child process with the given stdio and waits for it.
//
// An *os.File (os.Stdin, os.Stdout…) is handed to the server as is, not
// copied through a pipe: an MCP client then talks to the server directly,
// with no extra buffering or copying in between. Other readers and writers
// are connected through pipes.
//
// While the server runs, the signals that ask a process to stop (SIGINT and
// SIGTERM, and SIGHUP and SIGQUIT on Unix) are forwarded to it instead of
// stopping this process, so the server decides how to shut down and its
// exit code is still returned. Canceling ctx sends it SIGTERM (a kill on
// Windows), then SIGKILL after a grace period.
//
// exitCode is the server's exit status, or 128+N when signal N killed it,
// as shells report it. err is non-nil when the server could not be started,
// or when copying between a non-file reader or writer and the server
// failed; a non-zero exit is not an error.
func Run(ctx context.Context, c *Command, stdin io.Reader, stdout, stderr io.Writer) (exitCode int, err error) {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwardedSignals...)
	defer signal.Stop(sigs)
	return run(ctx, c, stdin, stdout, stderr, sigs)
}

// run is Run with the signal source passed in, so that tests can deliver
// signals without signaling the test process itself.
func run(ctx context.Context, c *Command, stdin io.Reader, stdout, stderr io.Writer, sigs <-chan os.Signal) (int, error) {
	cmd := exec.CommandContext(ctx, c.Path, c.Args...)
	cmd.Env = c.Env
	cmd.Dir = c.Dir
	// os/exec passes an *os.File to the child as its own descriptor and
	// pipes anything else; nil is the null device.
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	cmd.Cancel = func() error { return terminate(cmd.Process) }
	cmd.WaitDelay = stopGrace

	if err := cmd.Start(); err != nil {
		return -1, fmt.Errorf("starting the server %s: %w (check that it exists and is executable)", c.Path, err)
	}

	done := make(chan struct{})
	forwarded := make(chan struct{})
	go func() {
		defer close(forwarded)
		for {
			select {
			case s := <-sigs:
				// Errors are ignored: the process may just have exited, and
				// on Windows a console's Ctrl-C already reached it.
				_ = cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	<-forwarded

	code := exitCode(cmd.ProcessState)
	var exitErr *exec.ExitError
	switch {
	case err == nil, errors.As(err, &exitErr):
		return code, nil
	case errors.Is(err, exec.ErrWaitDelay):
		// The server exited but something it started still holds stdout
		// or stderr open; its result is what matters.
		return code, nil
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		// The caller asked for the stop; report how the server ended.
		return code, nil
	}
	return code, fmt.Errorf("server %s: %w", c.Path, err)
}
