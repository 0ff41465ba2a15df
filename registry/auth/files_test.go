package auth

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	publicPolicy  = "repositories:\n  \"**\":\n    anonymous: [read]\n"
	privatePolicy = "repositories:\n  \"**\":\n    authenticated: [read]\n"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// testFiles writes an htpasswd with alice and a public policy.
func testFiles(t *testing.T) (*Files, string) {
	t.Helper()
	dir := t.TempDir()
	opts := FilesOptions{
		HtpasswdPath: filepath.Join(dir, "htpasswd"),
		PolicyPath:   filepath.Join(dir, "policy.yaml"),
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	writeFile(t, opts.HtpasswdPath, "alice:"+bcryptHash(t, "pw")+"\n")
	writeFile(t, opts.PolicyPath, publicPolicy)
	f, err := LoadFiles(opts)
	if err != nil {
		t.Fatal(err)
	}
	return f, dir
}

func TestLoadFiles(t *testing.T) {
	f, _ := testFiles(t)
	if !f.Users().Authenticate("alice", "pw") {
		t.Error("alice not authenticated")
	}
	if !f.Policy().Allowed(anon, "x", ActionRead) {
		t.Error("policy not loaded")
	}
}

func TestLoadFilesDefaultPolicy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "htpasswd")
	writeFile(t, path, "")
	f, err := LoadFiles(FilesOptions{HtpasswdPath: path})
	if err != nil {
		t.Fatal(err)
	}
	if !f.Policy().Allowed(carol, "x", ActionPush) || f.Policy().Allowed(carol, "x", ActionDelete) {
		t.Error("not the default policy")
	}
}

func TestLoadFilesErrors(t *testing.T) {
	dir := t.TempDir()
	htp := filepath.Join(dir, "htpasswd")
	pol := filepath.Join(dir, "policy.yaml")
	writeFile(t, htp, "# users\nbob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n")
	writeFile(t, pol, "repositories:\n  \"**\":\n    anonymous: [pull]\n")
	if _, err := LoadFiles(FilesOptions{}); err == nil {
		t.Error("no htpasswd path: no error")
	}
	_, err := LoadFiles(FilesOptions{HtpasswdPath: htp, PolicyPath: pol})
	if err == nil || !strings.Contains(err.Error(), htp) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad htpasswd: %v", err)
	}
	writeFile(t, htp, "")
	_, err = LoadFiles(FilesOptions{HtpasswdPath: htp, PolicyPath: pol})
	if err == nil || !strings.Contains(err.Error(), pol) || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("bad policy: %v", err)
	}
	_, err = LoadFiles(FilesOptions{HtpasswdPath: htp, PolicyPath: filepath.Join(dir, "missing.yaml")})
	if err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing policy: %v", err)
	}
}

func TestFilesReload(t *testing.T) {
	f, dir := testFiles(t)
	pol := filepath.Join(dir, "policy.yaml")

	writeFile(t, pol, privatePolicy)
	if err := f.Reload(); err != nil {
		t.Fatal(err)
	}
	if f.Policy().Allowed(anon, "x", ActionRead) || !f.Policy().Allowed(alice, "x", ActionRead) {
		t.Error("edited policy not picked up")
	}

	// A broken edit keeps the previous policy and users.
	before := f.Policy()
	writeFile(t, pol, "repositories:\n  \"**\":\n    authenticated: [reed]\n")
	err := f.Reload()
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("broken policy: err = %v", err)
	}
	if f.Policy() != before || !f.Users().Authenticate("alice", "pw") {
		t.Error("a broken edit replaced the previous state")
	}
	writeFile(t, filepath.Join(dir, "htpasswd"), "alice:plain\n")
	writeFile(t, pol, publicPolicy)
	if err := f.Reload(); err == nil {
		t.Error("broken htpasswd: no error")
	}
	if f.Policy() != before {
		t.Error("a broken htpasswd let the new policy in: users and policy must swap together")
	}
}

func TestFilesConcurrentReload(t *testing.T) {
	f, _ := testFiles(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				_ = f.Reload()
				f.Policy().Allowed(alice, "x", ActionRead)
				f.Users().Len()
			}
		})
	}
	wg.Wait()
}

func TestFilesWatchRenameOver(t *testing.T) {
	f, dir := testFiles(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Watch(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Watch: %v", err)
		}
	}()
	// No wait for the watch to start: Watch reloads once after it is in
	// place, so a change made before that is not missed either.

	// As editors do: write a new file, rename it over the old one.
	tmp := filepath.Join(dir, ".policy.yaml.tmp")
	writeFile(t, tmp, privatePolicy)
	if err := os.Rename(tmp, filepath.Join(dir, "policy.yaml")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for f.Policy().Allowed(anon, "x", ActionRead) {
		if time.Now().After(deadline) {
			t.Fatal("policy not reloaded within 2s of the rename")
		}
		time.Sleep(10 * time.Millisecond)
	}

	// A broken rename-over is ignored; the watch goes on.
	writeFile(t, tmp, "nonsense: true\n")
	if err := os.Rename(tmp, filepath.Join(dir, "policy.yaml")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if !f.Policy().Allowed(alice, "x", ActionRead) {
		t.Error("a broken file replaced the policy")
	}
	writeFile(t, tmp, publicPolicy)
	if err := os.Rename(tmp, filepath.Join(dir, "policy.yaml")); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(2 * time.Second)
	for !f.Policy().Allowed(anon, "x", ActionRead) {
		if time.Now().After(deadline) {
			t.Fatal("watch stopped after a broken file")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
