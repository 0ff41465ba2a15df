package launch

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// helperSource is a stand-in MCP server: a real process whose stdio,
// environment, exit status and signal handling the tests can observe.
const helperSource = `package main

import (
	"bufio"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	switch os.Args[1] {
	case "echo": // copy stdin to stdout line by line
		s := bufio.NewScanner(os.Stdin)
		for s.Scan() {
			fmt.Println(s.Text())
		}
	case "exit": // exit with the given code
		code, _ := strconv.Atoi(os.Args[2])
		fmt.Fprintln(os.Stderr, "exiting", code)
		os.Exit(code)
	case "pid": // print the process id
		fmt.Println(os.Getpid())
	case "env": // print a variable
		fmt.Println(os.Getenv(os.Args[2]))
	case "args": // print each argument on its own line
		for _, a := range os.Args[2:] {
			fmt.Println(a)
		}
	case "stdio": // say whether stdin and stdout are regular files or pipes
		for _, f := range []*os.File{os.Stdin, os.Stdout} {
			fi, err := f.Stat()
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			kind := "other"
			if fi.Mode().IsRegular() {
				kind = "file"
			} else if fi.Mode()&os.ModeNamedPipe != 0 {
				kind = "pipe"
			}
			fmt.Fprintln(os.Stdout, kind)
		}
	case "wait-term": // exit 42 on SIGTERM
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM)
		fmt.Println("ready")
		select {
		case <-c:
			os.Exit(42)
		case <-time.After(20 * time.Second):
			os.Exit(3)
		}
	case "sleep": // block until killed
		fmt.Println("ready")
		time.Sleep(20 * time.Second)
		os.Exit(3)
	}
}
`

var helper struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// TestMain removes the helper binary, which outlives the test that built it
// so that it is compiled once per run.
func TestMain(m *testing.M) {
	code := m.Run()
	if helper.dir != "" {
		os.RemoveAll(helper.dir)
	}
	os.Exit(code)
}

// helperBin compiles helperSource once and returns the binary's path.
func helperBin(t *testing.T) string {
	t.Helper()
	helper.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			//lint:ignore SA1019 a test binary runs where it was built, so the GOROOT it was built with is the right fallback
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		if helper.dir, helper.err = os.MkdirTemp("", "launch-helper-"); helper.err != nil {
			return
		}
		src := filepath.Join(helper.dir, "main.go")
		if helper.err = os.WriteFile(src, []byte(helperSource), 0o644); helper.err != nil {
			return
		}
		helper.path = filepath.Join(helper.dir, "server")
		if runtime.GOOS == "windows" {
			helper.path += ".exe"
		}
		cmd := exec.Command(goTool, "build", "-o", helper.path, src)
		cmd.Dir = helper.dir
		// The helper is a lone file outside any module: keep the caller's
		// module settings out of its build.
		cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			helper.err = &buildError{err: err, out: string(out)}
		}
	})
	if helper.err != nil {
		t.Fatalf("building the helper server: %v", helper.err)
	}
	return helper.path
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }
