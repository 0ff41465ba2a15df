//go:build unix

package launch

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startHelper runs the helper through run with a signal channel the test
// controls, and waits until it is ready.
func startHelper(t *testing.T, ctx context.Context, mode string) (chan<- os.Signal, <-chan int) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	sigs := make(chan os.Signal, 1)
	codes := make(chan int, 1)
	go func() {
		defer w.Close()
		code, err := run(ctx, &Command{Path: helperBin(t), Args: []string{mode}}, nil, w, os.Stderr, sigs)
		if err != nil {
			t.Errorf("run: %v", err)
		}
		codes <- code
	}()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("helper said %q, %v; want ready", line, err)
	}
	return sigs, codes
}

func waitCode(t *testing.T, codes <-chan int) int {
	t.Helper()
	select {
	case code := <-codes:
		return code
	case <-time.After(15 * time.Second):
		t.Fatal("the server did not exit")
		return 0
	}
}

func TestRunForwardsSignals(t *testing.T) {
	sigs, codes := startHelper(t, context.Background(), "wait-term")
	sigs <- syscall.SIGTERM
	if code := waitCode(t, codes); code != 42 {
		t.Errorf("exit code = %d, want 42 (the server's own SIGTERM handler)", code)
	}
}

func TestRunReportsDeathBySignalLikeShells(t *testing.T) {
	sigs, codes := startHelper(t, context.Background(), "sleep")
	sigs <- syscall.SIGKILL
	if code := waitCode(t, codes); code != 128+9 {
		t.Errorf("exit code = %d, want 137", code)
	}
}

func TestRunCancelAsksTheServerToStop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	_, codes := startHelper(t, ctx, "wait-term")
	cancel()
	if code := waitCode(t, codes); code != 42 {
		t.Errorf("exit code = %d, want 42: cancel must send SIGTERM before killing", code)
	}
}

// execHelperEnv makes the test binary, re-run by TestExecReplacesProcess,
// call Exec.
const execHelperEnv = "LAUNCH_TEST_EXEC"

func TestExecReplacesProcess(t *testing.T) {
	if server := os.Getenv(execHelperEnv); server != "" {
		args := strings.Fields(os.Getenv(execHelperEnv + "_ARGS"))
		err := Exec(&Command{Path: server, Args: args, Env: []string{"A=1"}})
		t.Fatalf("Exec returned: %v", err) // only reached when exec failed
	}
	reexec := func(args string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestExecReplacesProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), execHelperEnv+"="+helperBin(t), execHelperEnv+"_ARGS="+args)
		return cmd
	}

	cmd := reexec("pid")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("re-run test binary: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != strconv.Itoa(cmd.Process.Pid) {
		t.Errorf("the server printed %q, want the pid of the process that called Exec (%d)", out, cmd.Process.Pid)
	}

	cmd = reexec("exit 7")
	out, err = cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 7 || string(out) != "exiting 7\n" {
		t.Errorf("after Exec: exit code %d, output %q (%v); want 7 and only the server's output", code, out, err)
	}
}

func TestExecFailureNamesThePath(t *testing.T) {
	missing := t.TempDir() + "/no-such-server"
	err := Exec(&Command{Path: missing})
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("Exec(missing) = %v, want an error naming %s", err, missing)
	}
}
