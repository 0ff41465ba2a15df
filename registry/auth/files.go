package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Files holds the current users and policy, re-read from disk.
// All methods are safe for concurrent use.
type Files struct {
	opts FilesOptions
	log  *slog.Logger
	cur  atomic.Pointer[loaded] // users and policy swap together
	mu   sync.Mutex             // one Reload at a time
}

// FilesOptions says where the files are.
type FilesOptions struct {
	HtpasswdPath string // required
	PolicyPath   string // "" = DefaultPolicy()
	Logger       *slog.Logger
}

// loaded is one consistent state, with the bytes it came from so a reload
// of unchanged files is a no-op.
type loaded struct {
	users          *Users
	policy         *Policy
	htpasswd, yaml []byte
}

// debounce lets an editor finish writing (truncate, write, rename) before
// the files are read.
const debounce = 100 * time.Millisecond

// LoadFiles reads the files; an error names the file and the line.
func LoadFiles(opts FilesOptions) (*Files, error) {
	if opts.HtpasswdPath == "" {
		return nil, errors.New("auth: an htpasswd file is required")
	}
	f := &Files{opts: opts, log: opts.Logger}
	if f.log == nil {
		f.log = slog.Default()
	}
	l, err := f.read()
	if err != nil {
		return nil, err
	}
	f.cur.Store(l)
	return f, nil
}

// Users are the current users.
func (f *Files) Users() *Users { return f.cur.Load().users }

// Policy is the current policy.
func (f *Files) Policy() *Policy { return f.cur.Load().policy }

// Reload re-reads both files (mpakd calls it on SIGHUP). On error it keeps
// the previous users and policy, logs and returns the error: a bad edit
// never locks everyone out.
func (f *Files) Reload() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, err := f.read()
	if err != nil {
		f.log.Error("auth: reload failed; keeping the previous users and policy", "err", err)
		return err
	}
	prev := f.cur.Load()
	if bytes.Equal(prev.htpasswd, l.htpasswd) && bytes.Equal(prev.yaml, l.yaml) {
		f.log.Debug("auth: files unchanged")
		return nil
	}
	f.cur.Store(l)
	f.log.Info("auth: reloaded users and policy", "users", l.users.Len(),
		"htpasswd", f.opts.HtpasswdPath, "policy", f.opts.PolicyPath)
	return nil
}

func (f *Files) read() (*loaded, error) {
	l := &loaded{}
	var err error
	if l.htpasswd, err = os.ReadFile(f.opts.HtpasswdPath); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	if l.users, err = ParseHtpasswd(l.htpasswd); err != nil {
		return nil, fmt.Errorf("auth: %s: %w", f.opts.HtpasswdPath, err)
	}
	if f.opts.PolicyPath == "" {
		l.policy = DefaultPolicy()
		return l, nil
	}
	if l.yaml, err = os.ReadFile(f.opts.PolicyPath); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	if l.policy, err = ParsePolicy(l.yaml); err != nil {
		return nil, fmt.Errorf("auth: %s: %w", f.opts.PolicyPath, err)
	}
	return l, nil
}

// Watch reloads when either file changes, until ctx ends (then it returns
// nil). It watches the directories, not the files: editors and
// configuration managers replace a file by renaming a new one over it,
// which a watch on the old file would not see. Any change in those
// directories triggers a reload, which is a no-op if the files are
// unchanged; that also covers Kubernetes' ConfigMap symlink swaps.
func (f *Files) Watch(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("auth: watching files: %w", err)
	}
	defer w.Close()
	dirs := map[string]bool{filepath.Dir(f.opts.HtpasswdPath): true}
	if f.opts.PolicyPath != "" {
		dirs[filepath.Dir(f.opts.PolicyPath)] = true
	}
	for d := range dirs {
		if err := w.Add(d); err != nil {
			return fmt.Errorf("auth: watching %s: %w", d, err)
		}
	}

	// The first reload catches changes made between LoadFiles and now,
	// before the watch was in place.
	timer := time.NewTimer(debounce)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-w.Events:
			if !ok {
				return errors.New("auth: file watcher closed")
			}
			timer.Reset(debounce)
		case err, ok := <-w.Errors:
			if !ok {
				return errors.New("auth: file watcher closed")
			}
			// An overflow may have hidden a change: reload to be sure.
			f.log.Warn("auth: file watcher", "err", err)
			timer.Reset(debounce)
		case <-timer.C:
			_ = f.Reload() // logged by Reload; the previous files stay
		}
	}
}
