package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry/remote"
)

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs mpakd as main does and waits until it answers.
func start(t *testing.T, args ...string) (stop func()) {
	t.Helper()
	return startWith(t, nil, args...)
}

// startWith is start with mpakd's stderr (its log) going to stderr when
// not nil.
func startWith(t *testing.T, stderr io.Writer, args ...string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		cmd := rootCommand()
		cmd.SetArgs(args)
		if stderr != nil {
			cmd.SetErr(stderr)
		}
		done <- cmd.ExecuteContext(ctx)
	}()
	addr := args[len(args)-1]
	for i := 0; ; i++ {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-done:
			t.Fatalf("mpakd exited: %v\n%s", err, stderr)
		case <-time.After(50 * time.Millisecond):
		}
		if i > 200 {
			t.Fatal("mpakd did not start")
		}
	}
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("mpakd shutdown: %v", err)
		}
	}
}

// The default command serves a registry whose content survives a restart.
func TestServePersists(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	stop := start(t, "--data", data, "--addr", addr)

	repo, err := remote.NewRepository(addr + "/demo/hello")
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	desc, err := oras.PushBytes(context.Background(), repo, "application/vnd.mcpb.bundle.v1+zip", []byte("not really a zip"))
	if err != nil {
		t.Fatalf("push to mpakd: %v", err)
	}
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "mpak bundle push") {
		t.Errorf("home page: %s", body)
	}
	stop()

	stop = start(t, "serve", "--data", data, "--addr", addr)
	defer stop()
	ok, err := repo.Exists(context.Background(), desc)
	if err != nil || !ok {
		t.Fatalf("blob lost across restart: exists=%v err=%v", ok, err)
	}
}

func TestAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cmd := rootCommand()
	cmd.SetArgs([]string{"--data", t.TempDir(), "--addr", ln.Addr().String()})
	err = cmd.ExecuteContext(context.Background())
	if err == nil || !strings.Contains(err.Error(), "--addr") {
		t.Fatalf("err = %v, want a hint to choose another --addr", err)
	}
}
