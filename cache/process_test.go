package cache

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

// The tests below run the test binary again as helper processes: real,
// separate processes sharing one cache root, as concurrent `mpak bundle
// run`s do.
const (
	envHelper  = "MPAK_CACHE_TEST_HELPER" // install | hang | pause
	envRoot    = "MPAK_CACHE_TEST_ROOT"
	envBundle  = "MPAK_CACHE_TEST_BUNDLE"
	envBarrier = "MPAK_CACHE_TEST_BARRIER" // directory where helpers meet
	envPeers   = "MPAK_CACHE_TEST_PEERS"   // how many helpers meet there
)

// helper starts the test binary as a helper process in mode.
func helper(t *testing.T, mode string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), append(env, envHelper+"="+mode)...)
	return cmd
}

// TestHelperProcess is not a test: it is the body of the helper processes.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(envHelper)
	if mode == "" {
		return
	}
	if err := runHelper(mode); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

func runHelper(mode string) error {
	c, err := Open(os.Getenv(envRoot))
	if err != nil {
		return err
	}
	data, err := os.ReadFile(os.Getenv(envBundle))
	if err != nil {
		return err
	}
	d := digest.FromBytes(data)
	switch mode {
	case "install":
		peers, _ := strconv.Atoi(os.Getenv(envPeers))
		e, err := c.Install(ctx, d, Meta{Source: "registry"}, func(w io.Writer) error {
			// Every helper is mid-install before any writes a byte, so
			// they all race to publish.
			if err := meet(os.Getenv(envBarrier), peers); err != nil {
				return err
			}
			_, err := w.Write(data)
			return err
		})
		if err != nil {
			return err
		}
		fmt.Print(e.Dir)
		return nil
	case "hang":
		_, err := c.Install(ctx, d, Meta{}, func(w io.Writer) error {
			if _, err := w.Write(data[:len(data)/2]); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(os.Getenv(envBarrier), "ready"), nil, 0o644); err != nil {
				return err
			}
			time.Sleep(time.Hour) // until killed
			return nil
		})
		return fmt.Errorf("hanging install returned: %v", err)
	case "pause":
		// Half a download, then wait for the test to say go: a live
		// install for sweepers to leave alone.
		barrier := os.Getenv(envBarrier)
		e, err := c.Install(ctx, d, Meta{}, func(w io.Writer) error {
			if _, err := w.Write(data[:len(data)/2]); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(barrier, "ready"), nil, 0o644); err != nil {
				return err
			}
			for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
				if _, err := os.Stat(filepath.Join(barrier, "go")); err == nil {
					break
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("never told to go on")
				}
			}
			_, err := w.Write(data[len(data)/2:])
			return err
		})
		if err != nil {
			return err
		}
		fmt.Print(e.Dir)
		return nil
	}
	return fmt.Errorf("unknown helper mode %q", mode)
}

// meet announces this process in dir and waits until peers processes have.
func meet(dir string, peers int) error {
	if err := os.WriteFile(filepath.Join(dir, strconv.Itoa(os.Getpid())), nil, 0o644); err != nil {
		return err
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if names, err := os.ReadDir(dir); err == nil && len(names) >= peers {
			return nil
		}
	}
	return fmt.Errorf("only some of %d helpers arrived within 30s", peers)
}
